"""How a seller's shop did over a dashboard period, against the period before.

What counts, in a period (see :mod:`.periods` for the windows):

- **orders** (sales): orders of the seller's products *paid* in the window,
  including those refunded later (the sale happened then); pending and failed
  orders never count. **revenue** is their amount, per currency.
- **refunds**: refunds *recorded* in the window for those products, count and
  amount per currency. Refunds of extra charges (a duplicate payment, an
  amount mismatch, a charge after a refund) belong to no sale and are left
  out, as in :mod:`.sales`.
- **net revenue** = revenue - refunds, per currency (may be negative in a
  period with refunds and no sales).
- **customers**: different buyers among the orders; **downloads**: downloads
  by the owners of the seller's products in the window.

Money stays in minor units and is never added across currencies.

:func:`performance` runs :data:`QUERIES` queries whatever the number of
products, orders, refunds or downloads: everything is grouped and summed in
the database, once for both windows (conditional aggregates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth
from django.urls import reverse
from django.utils import timezone

from marketplace_core.analytics.periods import Period, Window
from marketplace_core.catalog.models import Product
from marketplace_core.ownership.models import Download, Order, Refund
from marketplace_core.ownership.services import EXTRA_PAYMENT_FLAGS

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Queries :func:`performance` runs, whatever the amount of data.
QUERIES = 7

Money = dict[str, int]


@dataclass
class Totals:
    """The shop's figures for one window."""

    orders: int = 0
    revenue: Money = field(default_factory=dict)
    refunds: int = 0
    refunded: Money = field(default_factory=dict)
    customers: int = 0
    downloads: int = 0

    @property
    def net_revenue(self) -> Money:
        return net(self.revenue, self.refunded)


@dataclass
class ProductFigures:
    """One product's figures for the current window."""

    product_id: int
    title: str
    #: The product page's path (what analytics tools see as the page path).
    path: str
    sales: int = 0
    revenue: Money = field(default_factory=dict)
    refunds: int = 0
    refunded: Money = field(default_factory=dict)
    downloads: int = 0


@dataclass
class BucketFigures:
    """One chart bucket (a day or a month) of the current window."""

    day: dt.date
    orders: int = 0
    net_revenue: Money = field(default_factory=dict)


@dataclass
class Performance:
    """:func:`performance`'s answer."""

    period: Period
    current: Totals
    previous: Totals
    #: Every product of the seller, newest first (also those without sales).
    products: list[ProductFigures]
    #: One entry per bucket of the period, oldest first.
    buckets: list[BucketFigures]

    @property
    def currencies(self) -> list[str]:
        """Every currency with money moving in either window, alphabetically."""
        return sorted({*self.current.revenue, *self.current.refunded,
                       *self.previous.revenue, *self.previous.refunded})


_SLUG = "marketplace-slug-placeholder"


def product_path_maker() -> Callable[[str], str]:
    """``slug → path`` of product pages (``Product.get_absolute_url``), with one ``reverse()``
    for all of them rather than one per product (a thousand cost more than the queries)."""
    before, after = reverse("marketplace:product_detail", kwargs={"slug": _SLUG}).split(_SLUG)
    return lambda slug: f"{before}{slug}{after}"


def net(revenue: Money, refunded: Money) -> Money:
    """``revenue - refunded`` per currency; currencies at zero are left out."""
    codes = sorted({*revenue, *refunded})
    return {code: value for code in codes
            if (value := revenue.get(code, 0) - refunded.get(code, 0))}


def change(current: float, previous: float) -> float | None:
    """Relative change from ``previous`` to ``current`` (0.25 = +25 %); ``None`` from zero."""
    if not previous:
        return None
    return (current - previous) / previous


def _between(prefix: str, window: Window) -> Q:
    return Q(**{f"{prefix}__gte": window.start, f"{prefix}__lt": window.end})


def _in_either(prefix: str, period: Period) -> Q:
    return Q(**{f"{prefix}__gte": period.previous.start, f"{prefix}__lt": period.current.end})


def _sales(seller: User, period: Period) -> QuerySet[Order]:
    return Order.objects.filter(
        _in_either("paid_at", period), product__seller_id=seller.pk,
        status__in=[Order.Status.PAID, Order.Status.REFUNDED],
    )


def _refunds(seller: User, period: Period) -> QuerySet[Refund]:
    return Refund.objects.filter(
        _in_either("created_at", period), order__product__seller_id=seller.pk,
    ).exclude(payment__flag__in=EXTRA_PAYMENT_FLAGS)


def _split(prefix: str, period: Period, amount: str | None) -> dict[str, Any]:
    """Count (and sum ``amount``) separately for the current and the previous window."""
    now, before = _between(prefix, period.current), _between(prefix, period.previous)
    aggregates: dict[str, Any] = {"n_now": Count("id", filter=now),
                                  "n_before": Count("id", filter=before)}
    if amount:
        aggregates |= {"sum_now": Sum(amount, filter=now), "sum_before": Sum(amount, filter=before)}
    return aggregates


def _rows(queryset: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """The rows of a ``values().annotate()`` query (typed loosely: keys come from ``**``)."""
    yield from queryset


def _add(money: Money, currency: str, amount: int | None) -> None:
    if amount:
        money[currency] = money.get(currency, 0) + amount


def performance(seller: User, period: Period) -> Performance:
    """The seller's figures for ``period`` and the one before, per product and per bucket.

    Runs :data:`QUERIES` queries, whatever the number of products or sales.
    """
    current, previous = Totals(), Totals()
    path = product_path_maker()
    products = {
        row["id"]: ProductFigures(row["id"], row["title"], path(row["slug"]))
        for row in Product.objects.filter(seller_id=seller.pk)
        .order_by("-created_at", "-id").values("id", "title", "slug")
    }

    def product(product_id: int) -> ProductFigures:
        # A product of the seller's is always listed; this only guards a race with a deletion.
        return products.setdefault(product_id, ProductFigures(product_id, "", ""))

    for row in _rows(_sales(seller, period).values("product_id", "currency")
                     .annotate(**_split("paid_at", period, "amount")).order_by()):
        current.orders += row["n_now"]
        previous.orders += row["n_before"]
        _add(current.revenue, row["currency"], row["sum_now"])
        _add(previous.revenue, row["currency"], row["sum_before"])
        figures = product(row["product_id"])
        figures.sales += row["n_now"]
        _add(figures.revenue, row["currency"], row["sum_now"])

    for row in _rows(_refunds(seller, period).values("order__product_id", "currency")
                     .annotate(**_split("created_at", period, "amount")).order_by()):
        current.refunds += row["n_now"]
        previous.refunds += row["n_before"]
        _add(current.refunded, row["currency"], row["sum_now"])
        _add(previous.refunded, row["currency"], row["sum_before"])
        figures = product(row["order__product_id"])
        figures.refunds += row["n_now"]
        _add(figures.refunded, row["currency"], row["sum_now"])

    for row in _rows(Download.objects.filter(_in_either("created_at", period),
                                             purchase__product__seller_id=seller.pk)
                     .values("purchase__product_id")
                     .annotate(**_split("created_at", period, None)).order_by()):
        current.downloads += row["n_now"]
        previous.downloads += row["n_before"]
        product(row["purchase__product_id"]).downloads += row["n_now"]

    customers = _sales(seller, period).aggregate(
        now=Count("buyer_id", distinct=True, filter=_between("paid_at", period.current)),
        before=Count("buyer_id", distinct=True, filter=_between("paid_at", period.previous)),
    )
    current.customers, previous.customers = customers["now"], customers["before"]

    return Performance(period=period, current=current, previous=previous,
                       products=list(products.values()), buckets=_buckets(seller, period))


def _buckets(seller: User, period: Period) -> list[BucketFigures]:
    """Orders and net revenue per bucket of the current window: two queries."""
    trunc = TruncDay if period.bucket == "day" else TruncMonth
    tz = timezone.get_current_timezone()
    buckets = {day: BucketFigures(day) for day in period.buckets}

    def bucket(moment: dt.date | dt.datetime) -> BucketFigures:
        day = period.bucket_of(moment)
        return buckets.setdefault(day, BucketFigures(day))

    for row in _rows(_sales(seller, period).filter(_between("paid_at", period.current))
                .annotate(bucket=trunc("paid_at", tzinfo=tz)).values("bucket", "currency")
                .annotate(count=Count("id"), total=Sum("amount")).order_by()):
        figures = bucket(row["bucket"])
        figures.orders += row["count"]
        _add(figures.net_revenue, row["currency"], row["total"])
    for row in _rows(_refunds(seller, period).filter(_between("created_at", period.current))
                .annotate(bucket=trunc("created_at", tzinfo=tz)).values("bucket", "currency")
                .annotate(total=Sum("amount")).order_by()):
        _add(bucket(row["bucket"]).net_revenue, row["currency"], -row["total"])
    return [buckets[day] for day in sorted(buckets)]
