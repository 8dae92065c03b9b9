"""The seller's license pages: keys (per product), one key's activations, and
the POSTs that disable or enable a key, free an activation and save a
product's license settings.

Every lookup is among the seller's own products: another seller's key,
activation or product is a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from marketplace_core.catalog.models import Product
from marketplace_core.exceptions import Rejected
from marketplace_core.panels.mixins import SellerPanelMixin
from marketplace_core.people.records import person_related
from marketplace_core.people.types import User
from marketplace_licenses import services
from marketplace_licenses.conf import conf
from marketplace_licenses.forms import PolicyForm
from marketplace_licenses.models import Activation, LicenseKey, LicensePolicy

NAV_KEY = "license-keys"


def _seller(request: HttpRequest) -> User:
    return cast(User, request.user)


class KeyListView(SellerPanelMixin, ListView):
    """The seller's keys, newest first; ``?product=<id>`` shows one product's."""

    template_name = "licenses/key_list.html"
    context_object_name = "license_keys"
    panel_nav_key = NAV_KEY

    def get_paginate_by(self, queryset: Any) -> int:
        return conf.PAGE_SIZE

    def _products(self) -> QuerySet[Product]:
        """The seller's products that issue keys or have some."""
        seller_id = self.request.user.pk
        return (Product.objects.filter(seller_id=seller_id)
                .filter(pk__in=LicensePolicy.objects.filter(issue_keys=True)
                        .values("product_id").union(
                            LicenseKey.objects.filter(product__seller_id=seller_id)
                            .values("product_id")))
                .order_by("title", "id"))

    def get_queryset(self) -> QuerySet[LicenseKey]:
        queryset = services.keys_of_seller(_seller(self.request)).select_related(
            "product", "purchase", *person_related("purchase__buyer"),
        ).order_by("-created_at", "-id")
        wanted = self.request.GET.get("product", "")
        self.product_id = int(wanted) if wanted.isdigit() else None
        return queryset.filter(product_id=self.product_id) if self.product_id else queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        usage = services.usage_by_key([key.pk for key in page])
        now = timezone.now()
        context["rows"] = [(key, key.status_at(now), usage.get(key.pk, 0)) for key in page]
        context["products"] = list(self._products())
        context["product_id"] = self.product_id
        return context


class KeyDetailView(SellerPanelMixin, View):
    """One of the seller's keys: its state and its activations, each with "Free"."""

    panel_nav_key = NAV_KEY

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = get_object_or_404(
            services.keys_of_seller(_seller(request)).select_related(
                "product", "purchase", *person_related("purchase__buyer")),
            pk=pk)
        activations = list(Activation.objects.filter(license_key=key))
        context = {"panel_area": self.panel_area, "panel_nav_key": self.panel_nav_key,
                   "license_key": key, "status": key.status, "activations": activations}
        return render(request, "licenses/key_detail.html", context)


class _SellerPost(SellerPanelMixin, View):
    http_method_names = ["post"]


class KeyDisableView(_SellerPost):
    """POST: disable a key (the API then treats it as unknown)."""

    disabled = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            key = services.set_disabled(_seller(request), pk, disabled=self.disabled)
        except LicenseKey.DoesNotExist:
            raise Http404 from None
        except Rejected as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("licenses:key_detail", args=[pk]))
        if self.disabled:
            messages.success(request, _("Key %(prefix)s… is disabled.") % {"prefix": key.prefix})
        else:
            messages.success(request, _("Key %(prefix)s… is enabled.") % {"prefix": key.prefix})
        return HttpResponseRedirect(reverse("licenses:key_detail", args=[pk]))


class KeyEnableView(KeyDisableView):
    """POST: enable a key the seller disabled (not one a refund disabled)."""

    disabled = False


class ActivationFreeView(_SellerPost):
    """POST: remove an activation of one of the seller's keys, freeing a slot."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            activation = services.free_activation(_seller(request), pk)
        except Activation.DoesNotExist:
            raise Http404 from None
        messages.success(request, _("The activation “%(name)s” is removed.")
                         % {"name": activation.name})
        return HttpResponseRedirect(reverse("licenses:key_detail",
                                            args=[activation.license_key_id]))


class PolicyView(_SellerPost):
    """POST from the product edit page's "License keys" section; back to that page."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(Product.objects.filter(seller_id=request.user.pk), pk=pk)
        form = PolicyForm(request.POST)
        back = reverse("marketplace:seller_product_update", args=[product.pk])
        if not form.is_valid():
            errors = "; ".join(f"{form.fields[name].label}: {' '.join(str(e) for e in error_list)}"
                               for name, error_list in form.errors.items())
            messages.error(request, _("License settings not saved. %(errors)s")
                           % {"errors": errors})
            return HttpResponseRedirect(f"{back}#product-licenses")
        services.save_policy(product, seller=_seller(request), **form.cleaned_data)
        messages.success(request, _("License settings saved."))
        return HttpResponseRedirect(f"{back}#product-licenses")
