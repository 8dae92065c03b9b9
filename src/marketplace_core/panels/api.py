"""SellerDashboardAPI: the dashboard's chart data as JSON (django-ninja).

``GET /api/seller/dashboard?period=12m`` answers the current seller's
series: net revenue per month for each currency, sales per month, then the
series plugins add through ``dashboard_series``. Mounted by core's own
``register_api_routers`` implementation, as a plugin would mount one.
"""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema
from ninja.errors import HttpError

from marketplace_core.analytics.sales import seller_summary
from marketplace_core.analytics.series import PERIOD_12_MONTHS, dashboard_series
from marketplace_core.roles import is_seller


class PointOut(Schema):
    label: str
    value: float


class SeriesOut(Schema):
    key: str
    label: str
    unit: str
    points: list[PointOut]


class MoneyOut(Schema):
    currency: str
    #: Minor units (cents).
    amount: int
    display: str


class DashboardOut(Schema):
    period: str
    total_customers: int
    revenue_this_month: list[MoneyOut]
    series: list[SeriesOut]


class DashboardErrorOut(Schema):
    detail: str


def build_router() -> Router:
    """A new router (django-ninja attaches a router to one API only)."""
    from marketplace_core.money import format_money

    router = Router(tags=["seller"])

    @router.get(
        "/dashboard",
        url_name="seller_dashboard",
        response={200: DashboardOut, 400: DashboardErrorOut, 401: DashboardErrorOut,
                  403: DashboardErrorOut},
    )
    def seller_dashboard(request: Any, period: str = PERIOD_12_MONTHS) -> Any:
        """The current seller's dashboard numbers and chart series."""
        user = request.user
        # HttpError answers {"detail": ...} with the status on every django-ninja version.
        if not user.is_authenticated:
            raise HttpError(401, "Log in first.")
        if not is_seller(user):
            raise HttpError(403, "Only sellers have a dashboard.")
        if period != PERIOD_12_MONTHS:
            raise HttpError(400, f"Unknown period {period!r}; use {PERIOD_12_MONTHS!r}.")
        summary = seller_summary(user, buyers=0)  # the charts show no buyers
        return {
            "period": period,
            "total_customers": summary.total_customers,
            "revenue_this_month": [
                {"currency": code, "amount": summary.this_month.amount(code),
                 "display": format_money(summary.this_month.amount(code), code)}
                for code in summary.currencies
            ],
            "series": dashboard_series(user, summary, period=period),
        }

    return router
