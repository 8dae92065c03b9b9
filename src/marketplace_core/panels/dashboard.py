"""The seller dashboard page (seed §5 SellerDashboardView).

At a glance: total customers and revenue this month. Then, for the period
chosen in the selector (``?period=7d|30d|90d|12m``): KPI cards with the change
against the previous period, the charts (drawn in the browser from the JSON of
:mod:`.api`, SellerDashboardAPI, with the Chart.js copy in core's static
files), the notes of plugins whose data is missing, a per-product table
sortable by each column, the buckets with sales, the latest buyers and
products. The numbers come from :mod:`marketplace_core.analytics`; the page
and the API share :func:`.api.products_out` so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import TemplateView

from marketplace_core.analytics.performance import Money, change, performance
from marketplace_core.analytics.periods import DEFAULT_PERIOD, PERIODS, period
from marketplace_core.analytics.sales import seller_summary
from marketplace_core.analytics.series import dashboard_series
from marketplace_core.catalog.models import Product
from marketplace_core.money import format_money
from marketplace_core.panels.api import products_out
from marketplace_core.panels.mixins import SellerPanelMixin

#: How many of the seller's newest products the dashboard links to.
RECENT_PRODUCTS = 5


@dataclass(frozen=True)
class Kpi:
    """One KPI card: its value(s) now and the change against the previous period."""

    key: str
    label: str
    #: One line per value (one per currency for money).
    values: list[str]
    #: ``+25%``, ``\u221210%`` (a minus sign), ``new`` or ``""`` (nothing to compare).
    change: str = ""
    #: ``up``, ``down`` or ``flat``: how the change reads (more refunds read ``down``).
    trend: str = "flat"
    previous: str = ""


def change_label(now: float, before: float, *, more_is_better: bool = True) -> tuple[str, str]:
    """The change badge's text and trend for ``now`` against ``before``."""
    if now == before:
        return ("±0%" if now else ""), "flat"
    ratio = change(now, before)
    text = "new" if ratio is None else f"{ratio:+.0%}".replace("-", "\u2212")
    better = (now > before) == more_is_better
    return text, "up" if better else "down"


def _money_lines(money: Money) -> list[str]:
    return [format_money(amount, code) for code, amount in sorted(money.items())] or ["\u2013"]


def _money_kpi(key: str, label: str, now: Money, before: Money, *,
               more_is_better: bool = True, extra: str = "") -> list[Kpi]:
    """One card per currency (amounts are never added across currencies)."""
    codes = sorted({*now, *before})
    if not codes:
        return [Kpi(key, label, ["\u2013"])]
    cards = []
    for code in codes:
        text, trend = change_label(now.get(code, 0), before.get(code, 0),
                                   more_is_better=more_is_better)
        cards.append(Kpi(key, f"{label} ({code})", [format_money(now.get(code, 0), code)],
                         text, trend, format_money(before.get(code, 0), code) + extra))
    return cards


def _count_kpi(key: str, label: str, now: int, before: int, *,
               more_is_better: bool = True) -> Kpi:
    text, trend = change_label(now, before, more_is_better=more_is_better)
    return Kpi(key, label, [str(now)], text, trend, str(before))


class SellerDashboardView(SellerPanelMixin, TemplateView):
    """Customers and revenue this month; a period's KPIs, charts and products; latest buyers."""

    template_name = "marketplace_core/seller/dashboard.html"
    panel_nav_key = "seller-dashboard"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        seller = self.request.user
        key = self.request.GET.get("period", DEFAULT_PERIOD)
        unknown_period = key not in PERIODS
        if unknown_period:
            key = DEFAULT_PERIOD
        summary = seller_summary(seller)  # type: ignore[arg-type]
        report = performance(seller, period(key))  # type: ignore[arg-type]
        series = dashboard_series(seller, report)  # type: ignore[arg-type]
        now, before = report.current, report.previous
        kpis = [
            *_money_kpi("net-revenue", "Net revenue", now.net_revenue, before.net_revenue),
            _count_kpi("orders", "Sales", now.orders, before.orders),
            _count_kpi("customers", "Customers", now.customers, before.customers),
            _count_kpi("refunds", "Refunds", now.refunds, before.refunds, more_is_better=False),
            _count_kpi("downloads", "Downloads", now.downloads, before.downloads),
        ]
        # Best sellers first (the table re-sorts in the browser by any column).
        products = sorted(products_out(report, series), key=lambda p: -p["sales"])
        for product in products:
            rate = product["conversion_rate"]
            product["conversion_display"] = "\u2013" if rate is None else f"{rate:.1%}"
        context.update(
            summary=summary,
            this_month=[format_money(summary.this_month.amount(code), code)
                        for code in summary.this_month.amounts],
            period=report.period,
            periods=[(choice, label, f"?{urlencode({'period': choice})}")
                     for choice, label in PERIODS.items()],
            unknown_period=unknown_period,
            kpis=kpis,
            refunded=_money_lines(now.refunded) if now.refunds else [],
            products=products,
            has_views=any(p["views"] is not None for p in products),
            notes=[s.note for s in series if s.note],
            active_buckets=[
                (report.period.bucket_label(b.day), b.day, _money_lines(b.net_revenue), b.orders)
                for b in reversed(report.buckets) if b.orders or b.net_revenue
            ],
            recent_products=Product.objects.filter(seller_id=seller.pk)
            .order_by("-created_at", "-id")[:RECENT_PRODUCTS],
            dashboard_api_url=(f"{reverse('marketplace-api:seller_dashboard')}?"
                               f"{urlencode({'period': key})}"),
        )
        return context
