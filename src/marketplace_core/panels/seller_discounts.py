"""The seller's discount codes: list (with uses), create, edit, delete.

Codes are looked up through their seller, so another seller's code is a 404.
A code an order used is deactivated instead of deleted: the order keeps it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import CreateView, DeleteView, ListView, UpdateView
from django.views.generic.edit import ModelFormMixin

from marketplace_core.discounts import services
from marketplace_core.discounts.forms import DiscountCodeForm
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import Order
from marketplace_core.panels.mixins import SellerOwnedMixin, SellerPanelMixin

NAV_KEY = "seller-discounts"


def _discounts_url() -> str:
    return reverse("marketplace:seller_discounts")


class SellerDiscountCodeListView(SellerPanelMixin, ListView):
    """The seller's codes: value, products, dates, uses out of the limit, status.

    One query for the page's codes with their use counts, one for their
    products, whatever the number of rows.
    """

    template_name = "marketplace_core/seller/discount_list.html"
    context_object_name = "codes"
    paginate_by = 50
    panel_nav_key = NAV_KEY

    def get_queryset(self) -> QuerySet[DiscountCode]:
        codes = DiscountCode.objects.filter(seller_id=self.request.user.pk)
        return (services.with_redemption_counts(codes)
                .prefetch_related("products").order_by("code", "id"))


class _DiscountCodeFormMixin(ModelFormMixin):
    """The code form of the create and edit pages, saved through the discounts service."""

    request: HttpRequest
    template_name: str | None = "marketplace_core/seller/discount_form.html"
    form_class = DiscountCodeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "seller": self.request.user}

    def form_valid(self, form: ModelForm[Any]) -> HttpResponse:
        assert isinstance(form, DiscountCodeForm)
        try:
            code = services.save_code(form.instance, seller=self.request.user,  # type: ignore[arg-type]
                                      products=form.cleaned_data.get("products") or [])
        except Rejected as exc:
            form.add_error("code" if exc.code == "code_taken" else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, f"Discount code {code.code} is saved.")
        return HttpResponseRedirect(_discounts_url())


class SellerDiscountCodeCreateView(SellerPanelMixin, _DiscountCodeFormMixin, CreateView):
    extra_context = {"creating": True}
    panel_nav_key = NAV_KEY  # the panel mixin's empty default comes first in the MRO


class SellerDiscountCodeUpdateView(SellerOwnedMixin, _DiscountCodeFormMixin, UpdateView):
    model = DiscountCode
    extra_context = {"creating": False}
    panel_nav_key = NAV_KEY


class SellerDiscountCodeDeleteView(SellerOwnedMixin, DeleteView):
    """Confirm, then delete the code, or deactivate it when an order used it."""

    model = DiscountCode
    template_name = "marketplace_core/seller/discount_confirm_delete.html"
    panel_nav_key = NAV_KEY
    context_object_name = "code"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["used"] = Order.objects.filter(discount_code=self.object).exists()
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        code: DiscountCode = self.object
        if services.remove_code(code):
            messages.success(self.request, f"Discount code {code.code} is deleted.")
        else:
            messages.success(self.request, f"Discount code {code.code} is deactivated: orders "
                                           "used it, so it is kept for them.")
        return HttpResponseRedirect(_discounts_url())
