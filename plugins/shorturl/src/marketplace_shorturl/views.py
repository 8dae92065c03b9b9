"""The redirect and the seller's management pages (seed §9)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect as redirect_to
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import DeleteView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from marketplace_core.money import format_money
from marketplace_core.panels.mixins import SellerPanelMixin
from marketplace_core.people.types import User
from marketplace_shorturl import redirects, services
from marketplace_shorturl.attribution import LinkSales, sales_by_link
from marketplace_shorturl.conf import conf
from marketplace_shorturl.forms import ShortURLForm
from marketplace_shorturl.models import ShortURL
from marketplace_shorturl.urlbuilder import short_url_base


@require_safe
def shorturl_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Resolve ``slug`` through the caches and redirect (302) to its destination.

    Unknown slug: 404. Expired, switched off or past its maximum visits: a 410
    page saying which. Only GET counts as a click (and a visit; HEAD is what
    link checkers send). On a cache hit this makes no database query; with
    :class:`~marketplace_shorturl.middleware.ShortURLMiddleware`
    installed, GETs of working links are answered before this view is reached.
    """
    link = redirects.find(slug)
    if link is None:
        raise Http404(_("No such short link."))
    count = request.method == "GET"
    if getattr(request, "shorturl_used_up", False):  # the middleware counted this visit
        status = "used_up"
    else:
        status = redirects.status(link, count=count)
    if status != "ok":
        return render(request, "shorturl/gone.html", {"reason": status}, status=410)
    return redirects.redirect(link, request, count=count)


def _seller(request: HttpRequest) -> User:
    """The logged-in seller (the views' mixin has already turned everyone else away)."""
    return cast(User, request.user)


class SellerPanel(SellerPanelMixin):
    """A page of the seller's panel, "Short links" marked in its sidebar."""

    panel_nav_key = "shorturl"


class SellerLinksMixin(SellerPanel):
    """Sellers only; every lookup is limited to the seller's own links (others: 404)."""

    request: HttpRequest

    def get_queryset(self) -> QuerySet[ShortURL]:
        return ShortURL.objects.filter(seller=_seller(self.request))


class ShorturlListView(SellerLinksMixin, ListView):
    """The seller's links, newest first, searchable by slug or destination."""

    template_name = "shorturl/list.html"
    context_object_name = "links"

    def get_paginate_by(self, queryset: Any) -> int:
        return conf.PAGE_SIZE

    def get_queryset(self) -> QuerySet[ShortURL]:
        queryset = super().get_queryset()
        self.q = self.request.GET.get("q", "").strip()
        if self.q:
            queryset = queryset.filter(Q(slug__icontains=self.q) |
                                       Q(destination__icontains=self.q))
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        base = short_url_base(self.request)
        links = context["links"]
        sales = sales_by_link(link.pk for link in links)
        context["q"] = self.q
        context["rows"] = [(link, base + link.path, _sales_display(sales.get(link.pk)))
                           for link in links]
        context["flush_interval"] = int(conf.FLUSH_INTERVAL)
        context["attribution_days"] = conf.ATTRIBUTION_DAYS
        return context


def _sales_display(sales: LinkSales | None) -> dict[str, Any]:
    """A link's purchases and its revenue per currency, formatted for the page."""
    sales = sales or LinkSales()
    return {"purchases": sales.purchases,
            "revenue": [format_money(amount, currency)
                        for currency, amount in sorted(sales.revenue.items())]}


class ShorturlCreateView(SellerPanel, FormView):
    """Create a link; an empty slug gets a generated one."""

    form_class = ShortURLForm
    template_name = "shorturl/form.html"
    success_url = reverse_lazy("shorturl:list")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: ShortURLForm) -> HttpResponse:
        try:
            link = services.create_link(_seller(self.request), form.link_data())
        except services.SlugTaken:
            form.add_error("slug", _("This slug is already taken."))
            return self.form_invalid(form)
        except services.NoFreeSlug:
            form.add_error("slug", _("No free slug could be generated; choose one."))
            return self.form_invalid(form)
        messages.success(self.request, _("Short link /%(slug)s created.") % {"slug": link.slug})
        return redirect_to(self.get_success_url())


class ShorturlUpdateView(SellerLinksMixin, SingleObjectMixin, FormView):
    """Edit one of the seller's links; every process sees the change on its next redirect."""

    form_class = ShortURLForm
    template_name = "shorturl/form.html"
    success_url = reverse_lazy("shorturl:list")
    object: ShortURL

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()  # 404 unless it is this seller's link
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request, "instance": self.object}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sales"] = _sales_display(sales_by_link([self.object.pk]).get(self.object.pk))
        return context

    def form_valid(self, form: ShortURLForm) -> HttpResponse:
        try:
            services.update_link(self.object, form.link_data())
        except services.SlugTaken:
            form.add_error("slug", _("This slug is already taken."))
            return self.form_invalid(form)
        messages.success(self.request, _("Short link updated."))
        return redirect_to(self.get_success_url())


class ShorturlDeleteView(SellerLinksMixin, DeleteView):
    """Confirm, then delete: the short URL answers 404 from the next request on."""

    template_name = "shorturl/confirm_delete.html"
    success_url = reverse_lazy("shorturl:list")
    context_object_name = "link"

    def form_valid(self, form: Any) -> HttpResponse:
        services.delete_link(self.object)
        messages.success(self.request, _("Short link deleted."))
        return redirect_to(self.get_success_url())
