"""The dashboard series GA4 adds: page views (with views per product), sessions, users.

Every bucket of the period is present (zero when GA has no row for it), with
the labels core's own series use, so the charts line up. When there is no
traffic to show, a single empty ``views`` series carries the note saying why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace_analytics_ga4.traffic import product_paths, traffic_for
from marketplace_core.analytics.periods import period
from marketplace_core.analytics.series import VIEWS
from marketplace_core.plugins.types import DashboardSeries, SeriesPoint

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Series key → (GA4 metric, label).
SERIES = {
    VIEWS: ("screenPageViews", "Product page views"),
    "sessions": ("sessions", "Sessions on product pages"),
    "users": ("totalUsers", "Users on product pages"),
}


def traffic_series(seller: User, period_key: str) -> list[DashboardSeries]:
    """GA4's series for ``seller`` over ``period_key`` (see the module docstring)."""
    window = period(period_key)
    paths = product_paths(seller.pk)
    answer = traffic_for(seller, window, sorted(paths))
    if answer.traffic is None:
        return [DashboardSeries(key=VIEWS, label=SERIES[VIEWS][1], points=[], unit="views",
                                note=answer.note)]
    traffic = answer.traffic
    views_by_product: dict[int, float] = {}
    for path, views in traffic.paths.items():
        if path in paths:
            views_by_product[paths[path]] = views_by_product.get(paths[path], 0.0) + views
    return [
        DashboardSeries(
            key=key, label=label, unit=key if key != VIEWS else "views",
            points=[SeriesPoint(day, float(traffic.buckets.get(day, {}).get(metric, 0)))
                    for day in window.labels],
            per_product=views_by_product if key == VIEWS else {},
        )
        for key, (metric, label) in SERIES.items()
    ]
