"""Chart series for the seller dashboard: built-in ones, then the plugins'.

Built-in series come from core's own data (:mod:`.performance`): one net
revenue series per currency (never mixed) and the number of sales, per bucket
of the period (a day, or a month for twelve months). Plugins add series
through the ``dashboard_series`` hook (an analytics provider, say); a plugin
that raises is logged and left out, so the dashboard never depends on an
outside service.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from marketplace_core.analytics.performance import Performance
from marketplace_core.money import to_decimal
from marketplace_core.plugins.manager import call_each
from marketplace_core.plugins.types import DashboardSeries, SeriesPoint

if TYPE_CHECKING:
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.analytics")

#: The series key whose ``per_product`` values are page views (conversion = sales / views).
VIEWS = "views"


def revenue_series(report: Performance) -> list[DashboardSeries]:
    """``revenue-<currency>``: net revenue per bucket in major units, one series per currency."""
    return [
        DashboardSeries(
            key=f"revenue-{currency.lower()}",
            label=f"Net revenue ({currency})",
            unit=currency,
            points=[
                SeriesPoint(report.period.bucket_label(bucket.day),
                            float(to_decimal(bucket.net_revenue.get(currency, 0), currency)))
                for bucket in report.buckets
            ],
        )
        for currency in report.currencies
    ]


def sales_series(report: Performance) -> DashboardSeries:
    """``sales``: how many sales were made in each bucket (any currency)."""
    return DashboardSeries(
        key="sales",
        label="Sales",
        points=[SeriesPoint(report.period.bucket_label(b.day), float(b.orders))
                for b in report.buckets],
    )


def plugin_series(seller: User, period: str) -> list[DashboardSeries]:
    """Series from every plugin's ``dashboard_series``, in plugin order; failures left out."""
    answers = call_each("dashboard_series", {"seller": seller, "period": period},
                        logger=logger, failing="to give dashboard series")
    return [series for answer in answers.result for series in answer]


def dashboard_series(seller: User, report: Performance) -> list[DashboardSeries]:
    """Every series of the dashboard: revenue per currency, sales, then the plugins'."""
    return [*revenue_series(report), sales_series(report),
            *plugin_series(seller, report.period.key)]


def conversion_rate(sales: int, views: float | None) -> float | None:
    """``sales / views`` (0.02 = 2 %); ``None`` without views to divide by."""
    if not views:
        return None
    return sales / views
