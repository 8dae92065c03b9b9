"""The seller dashboard's short-link series: sales that came through short links.

One aggregate query per request (the ``dashboard_series`` hook): the seller's
attributed orders paid in the period, fully refunded ones left out, counted
per bucket of the period in the current time zone, with core's bucket labels
so the chart lines up with the built-in ones. The per-link figures are on the
short-link list (:mod:`marketplace_shorturl.views`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, F
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone

from marketplace_core.analytics.periods import period
from marketplace_core.plugins.types import DashboardSeries, SeriesPoint

if TYPE_CHECKING:
    from marketplace_core.people.types import User

KEY = "shorturl-sales"
LABEL = "Sales through short links"


def short_link_series(seller: User, period_key: str) -> list[DashboardSeries]:
    """:data:`KEY` for ``seller`` over ``period_key``; none when the seller has no links."""
    from marketplace_shorturl.models import AttributedOrder, ShortURL

    if not ShortURL.objects.filter(seller_id=seller.pk).exists():
        return []
    window = period(period_key)
    trunc = TruncDay if window.bucket == "day" else TruncMonth
    rows = (AttributedOrder.objects
            .filter(link__seller_id=seller.pk, paid_at__gte=window.current.start,
                    paid_at__lt=window.current.end, refunded__lt=F("amount"))
            .annotate(bucket=trunc("paid_at", tzinfo=timezone.get_current_timezone()))
            .values("bucket").annotate(sales=Count("pk")).order_by())
    counts: dict[str, int] = {}
    for row in rows:
        label = window.bucket_label(window.bucket_of(row["bucket"]))
        counts[label] = counts.get(label, 0) + row["sales"]
    return [DashboardSeries(key=KEY, label=LABEL, unit="sales",
                            points=[SeriesPoint(label, float(counts.get(label, 0)))
                                    for label in window.labels])]
