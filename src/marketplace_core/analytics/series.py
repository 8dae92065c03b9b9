"""Chart series for the seller dashboard: built-in ones, then the plugins'.

Built-in series come from core's own data (:mod:`.sales`): one revenue series
per currency (never mixed) and the number of sales per month. Plugins add
series through the ``dashboard_series`` hook (an analytics provider, say); a
plugin that raises is logged and left out, so the dashboard never depends on
an outside service.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from marketplace_core.analytics.months import month_label
from marketplace_core.analytics.sales import SellerSummary
from marketplace_core.money import to_decimal
from marketplace_core.plugins.manager import call_each
from marketplace_core.plugins.types import DashboardSeries, SeriesPoint

if TYPE_CHECKING:
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.analytics")

#: The only period core asks for today: the twelve months ending with the current one.
PERIOD_12_MONTHS = "12m"


def revenue_series(summary: SellerSummary) -> list[DashboardSeries]:
    """``revenue-<currency>``: net revenue per month in major units, one series per currency."""
    return [
        DashboardSeries(
            key=f"revenue-{currency.lower()}",
            label=f"Revenue ({currency})",
            unit=currency,
            points=[
                SeriesPoint(month_label(month.month),
                            float(to_decimal(month.amount(currency), currency)))
                for month in summary.months
            ],
        )
        for currency in summary.currencies
    ]


def sales_series(summary: SellerSummary) -> DashboardSeries:
    """``sales``: how many sales were made each month (any currency)."""
    return DashboardSeries(
        key="sales",
        label="Sales",
        points=[SeriesPoint(month_label(m.month), float(m.sales)) for m in summary.months],
    )


def plugin_series(seller: User, period: str) -> list[DashboardSeries]:
    """Series from every plugin's ``dashboard_series``, in plugin order; failures left out."""
    answers = call_each("dashboard_series", {"seller": seller, "period": period},
                        logger=logger, failing="to give dashboard series")
    return [series for answer in answers.result for series in answer]


def dashboard_series(
    seller: User, summary: SellerSummary, *, period: str = PERIOD_12_MONTHS
) -> list[DashboardSeries]:
    """Every series of the dashboard: revenue per currency, sales, then the plugins'."""
    return [*revenue_series(summary), sales_series(summary), *plugin_series(seller, period)]
