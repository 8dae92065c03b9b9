"""The seller's CSV exports page (``/seller/exports/``).

A small form picks a date range (from/to, both optional, both included) and
one of two buttons, ``export=orders`` or ``export=customers``; the same page
then answers with the file, streamed (:mod:`.csv_download`) from the rows of
:mod:`marketplace_core.analytics.exports`. A link may ask for a file directly:
``/seller/exports/?export=orders&start=2026-01-01``. A bad date or a range
that ends before it starts shows the form again with the error (400).

Exports are expensive, so each seller may start :data:`EXPORTS_PER_MINUTE`
per minute; beyond, the page answers 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from marketplace_core.accounts.throttling import RateLimit, too_many_requests
from marketplace_core.analytics.exports import (
    CUSTOMER_COLUMNS,
    ORDER_COLUMNS,
    DateRange,
    customer_rows,
    order_rows,
)
from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_core.panels.csv_download import csv_download
from marketplace_core.panels.mixins import SellerPanelMixin

EXPORTS_PER_MINUTE = 10
#: Exports started per seller (keyed by the seller's id, not the address).
EXPORT_LIMIT = RateLimit("marketplace.seller.exports", EXPORTS_PER_MINUTE, 60)

_EXPORTS = {
    "orders": (ORDER_COLUMNS, order_rows),
    "customers": (CUSTOMER_COLUMNS, customer_rows),
}


class ExportForm(MarketplaceForm):
    """The date range of an export; either end may be left empty."""

    start = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be on or after the start date.")
        return data

    def dates(self) -> DateRange:
        return DateRange(self.cleaned_data.get("start"), self.cleaned_data.get("end"))


def export_filename(kind: str, dates: DateRange) -> str:
    """``orders-2026-01-01-to-2026-01-31.csv``; an open end reads ``start`` / today's date."""
    start = dates.start.isoformat() if dates.start else "start"
    end = (dates.end or timezone.localdate()).isoformat()
    return f"{kind}-{start}-to-{end}.csv"


class SellerExportView(SellerPanelMixin, View):
    """The form (GET without ``export``) or the file (GET with ``export``)."""

    template_name = "marketplace_core/seller/exports.html"
    panel_nav_key = "seller-exports"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if "export" not in request.GET:
            return self._page(ExportForm())
        form = ExportForm(request.GET)
        kind = request.GET["export"]
        if form.is_valid() and kind not in _EXPORTS:
            form.add_error(None, "Choose what to export: orders or customers.")
        if not form.is_valid():
            return self._page(form, status=400)
        usage = EXPORT_LIMIT.usage(str(request.user.pk), increment=True)
        if usage.exceeded:
            page = self._page(form, refused_for=usage.retry_after, status=429)
            return too_many_requests(page, usage.retry_after)
        columns, rows = _EXPORTS[kind]
        dates = form.dates()
        return csv_download(export_filename(kind, dates), columns,
                            rows(request.user, dates))  # type: ignore[arg-type]

    def _page(self, form: ExportForm, *, status: int = 200,
              refused_for: int | None = None) -> HttpResponse:
        context = self.get_context_data(form=form, refused_for=refused_for,
                                        per_minute=EXPORTS_PER_MINUTE)
        return render(self.request, self.template_name, context, status=status)
