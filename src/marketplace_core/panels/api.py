"""SellerDashboardAPI: the dashboard's numbers and chart data as JSON (django-ninja).

``GET /api/v1/seller/dashboard?period=30d`` (session authentication) answers the
current seller's figures for the period (``7d``, ``30d``, ``90d``, ``12m``) and the period before
(:mod:`marketplace_core.analytics.performance`), per product, and the chart
series: net revenue per bucket for each currency, sales per bucket, then the
series plugins add through ``dashboard_series``. A series a plugin gives per
product becomes a product column; page views (series ``views``) also give
each product's conversion rate. Mounted by core's own ``register_api_routers``
implementation, as a plugin would mount one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Router, Schema
from pydantic import BaseModel, ConfigDict

from marketplace_core.analytics.performance import Money, Performance, Totals, performance
from marketplace_core.analytics.periods import DEFAULT_PERIOD, PERIODS, UnknownPeriod, period
from marketplace_core.analytics.sales import monthly_revenue, total_customers
from marketplace_core.analytics.series import VIEWS, conversion_rate, dashboard_series
from marketplace_core.api_auth import ApiError, session_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES
from marketplace_core.money import format_money
from marketplace_core.plugins.types import DashboardSeries
from marketplace_core.roles import is_seller


class _Out(BaseModel):
    """Plain pydantic models for the many nested items: ninja's ``Schema`` runs a Django
    attribute resolver on every object, which a thousand products make slow."""

    model_config = ConfigDict(from_attributes=True)


class PointOut(_Out):
    label: str
    value: float


class SeriesOut(_Out):
    key: str
    label: str
    unit: str
    #: Why the series is empty or partial ("" when it is complete).
    note: str
    points: list[PointOut]


class MoneyOut(_Out):
    currency: str
    #: Minor units (cents).
    amount: int
    display: str


class TotalsOut(_Out):
    """The shop's figures over one window."""

    orders: int
    revenue: list[MoneyOut]
    refunds: int
    refunded: list[MoneyOut]
    net_revenue: list[MoneyOut]
    customers: int
    downloads: int


class ProductOut(_Out):
    id: int
    title: str
    url: str
    sales: int
    revenue: list[MoneyOut]
    refunds: int
    refunded: list[MoneyOut]
    downloads: int
    #: Page views from an analytics plugin; ``None`` without one (or without data).
    views: float | None
    #: ``sales / views``; ``None`` without views.
    conversion_rate: float | None
    #: Other per-product values plugins give, by series key.
    metrics: dict[str, float]


class PeriodOut(_Out):
    key: str
    label: str
    #: Local dates, both included.
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    #: ``day`` or ``month``: what one chart point covers.
    bucket: str
    time_zone: str


class DashboardOut(Schema):
    period: str
    periods: list[str]
    window: PeriodOut
    #: All-time distinct buyers.
    total_customers: int
    revenue_this_month: list[MoneyOut]
    current: TotalsOut
    previous: TotalsOut
    products: list[ProductOut]
    series: list[SeriesOut]
    #: Why some figures are missing (a plugin's series notes), for the page to show.
    notes: list[str]


def money_out(money: Money) -> list[dict[str, Any]]:
    return [{"currency": code, "amount": amount, "display": format_money(amount, code)}
            for code, amount in sorted(money.items())]


def totals_out(totals: Totals) -> dict[str, Any]:
    return {"orders": totals.orders, "revenue": money_out(totals.revenue),
            "refunds": totals.refunds, "refunded": money_out(totals.refunded),
            "net_revenue": money_out(totals.net_revenue), "customers": totals.customers,
            "downloads": totals.downloads}


def products_out(report: Performance, series: list[DashboardSeries]) -> list[dict[str, Any]]:
    per_product = [s for s in series if s.per_product and s.key != VIEWS]
    # A views series without a note has data: products it does not name had no views.
    views = next((s.per_product for s in series if s.key == VIEWS and not s.note), None)
    rows = []
    for figures in report.products:
        product_views = views.get(figures.product_id, 0.0) if views is not None else None
        rows.append({
            "id": figures.product_id, "title": figures.title, "url": figures.path,
            "sales": figures.sales, "revenue": money_out(figures.revenue),
            "refunds": figures.refunds, "refunded": money_out(figures.refunded),
            "downloads": figures.downloads, "views": product_views,
            "conversion_rate": conversion_rate(figures.sales, product_views),
            "metrics": {s.key: s.per_product.get(figures.product_id, 0.0) for s in per_product},
        })
    return rows


def dashboard(user: Any, key: str) -> dict[str, Any]:
    """The API's answer for ``user`` (a seller) and period ``key``.

    :raises UnknownPeriod: ``key`` is not a period.
    """
    report = performance(user, period(key))
    [this_month] = monthly_revenue(user, months=1)  # not twelve: only this month is shown
    series = dashboard_series(user, report)
    window = report.period
    return {
        "period": key,
        "periods": list(PERIODS),
        "window": {
            "key": key, "label": window.label, "start": window.first_day,
            "end": window.last_day,
            "previous_start": timezone.localdate(window.previous.start),
            "previous_end": timezone.localdate(window.previous.end),
            "bucket": window.bucket, "time_zone": timezone.get_current_timezone_name(),
        },
        "total_customers": total_customers(user),
        "revenue_this_month": money_out(this_month.amounts),
        "current": totals_out(report.current),
        "previous": totals_out(report.previous),
        "products": products_out(report, series),
        "series": series,
        "notes": [s.note for s in series if s.note],
    }


def build_router() -> Router:
    """A new router (django-ninja attaches a router to one API only)."""
    router = Router(tags=["seller"], auth=session_auth)

    @router.get(
        "/dashboard",
        url_name="seller_dashboard",
        response={200: DashboardOut, **ERROR_RESPONSES},
    )
    def seller_dashboard(request: Any, period: str = DEFAULT_PERIOD) -> Any:
        """The logged-in seller's figures for ``period`` (7d, 30d, 90d, 12m) and the one
        before, per product, with the chart series (the dashboard page's data)."""
        user = request.user
        if not is_seller(user):
            raise ApiError(403, "Only sellers have a dashboard.", "not_seller")
        try:
            return dashboard(user, period)
        except UnknownPeriod as exc:
            raise ApiError(400, str(exc), "unknown_period") from None

    return router
