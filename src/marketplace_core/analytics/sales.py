"""What a seller sold: customers, revenue per month and currency, latest buyers.

A **sale** is an order for one of the seller's products whose status is
``paid``. Fully refunded orders are ``refunded`` and never count; partial
refunds (the order stays paid) are subtracted from the month the sale was made
in. Refunds of extra charges (a duplicate payment, an amount mismatch, a
charge after a refund) belong to no sale and are ignored, as core's refund
service ignores them. Pending and failed orders are not sales.

Money stays in minor units and is never added across currencies: every amount
is keyed by its ISO currency code. Months are calendar months in the current
time zone (``TIME_ZONE`` or the activated one).

Every function runs a fixed number of queries, whatever the number of sales.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from marketplace_core.analytics.months import (
    last_months,
    local_midnight,
    local_today,
    month_start,
)
from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order, Refund
from marketplace_core.ownership.services import EXTRA_PAYMENT_FLAGS
from marketplace_core.people.names import display_name
from marketplace_core.people.records import person_related
from marketplace_core.people.users import email_of

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Months shown on the dashboard: the current one and the eleven before it.
DEFAULT_MONTHS = 12
LATEST_BUYERS = 10


@dataclass(frozen=True)
class MonthRevenue:
    """Net revenue of the sales made in one calendar month."""

    #: The first day of the month.
    month: dt.date
    #: Minor units by currency code; a currency without sales that month is absent.
    amounts: dict[str, int] = field(default_factory=dict)
    #: Number of sales made that month (refunded ones excluded).
    sales: int = 0

    def amount(self, currency: str) -> int:
        return self.amounts.get(currency, 0)


@dataclass(frozen=True)
class LatestBuyer:
    """One of the seller's most recent buyers, with that buyer's latest purchase."""

    buyer_name: str
    buyer_email: str
    #: The buyer's latest purchase from the seller: product, price paid, when.
    product_title: str
    amount: int
    currency: str
    paid_at: dt.datetime
    #: How many of the seller's products the buyer has bought (refunded ones excluded).
    purchases: int

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


@dataclass(frozen=True)
class SellerSummary:
    """Everything the dashboard shows, for one seller at one moment."""

    total_customers: int
    #: Oldest first; the last entry is the current month.
    months: list[MonthRevenue]
    #: Newest first, each buyer once.
    latest_buyers: list[LatestBuyer]

    @property
    def this_month(self) -> MonthRevenue:
        return self.months[-1]

    @property
    def currencies(self) -> list[str]:
        """Every currency with revenue in the period, alphabetically."""
        return sorted({code for month in self.months for code in month.amounts})

    def period_total(self, currency: str) -> int:
        return sum(month.amount(currency) for month in self.months)


def sales(seller: User) -> QuerySet[Order]:
    """The seller's sales: paid (not refunded) orders of the seller's products."""
    return Order.objects.filter(product__seller_id=seller.pk, status=Order.Status.PAID)


def total_customers(seller: User) -> int:
    """How many different people bought at least one of the seller's products (all time)."""
    return sales(seller).values("buyer_id").distinct().count()


def _local_month(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return month_start(timezone.localtime(value).date())
    return month_start(value)


def monthly_revenue(
    seller: User, *, months: int = DEFAULT_MONTHS, now: dt.datetime | None = None
) -> list[MonthRevenue]:
    """Net revenue per month and currency for the ``months`` months ending with ``now``'s.

    Oldest month first; months without sales are present with no amounts.
    Two queries: the sales grouped by month and currency, and their partial
    refunds grouped the same way.
    """
    calendar = last_months(months, today=local_today(now))
    since = local_midnight(calendar[0])
    month_of_sale = TruncMonth("paid_at", tzinfo=timezone.get_current_timezone())
    amounts: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[dt.date, int] = defaultdict(int)
    rows = (
        sales(seller)
        .filter(paid_at__gte=since)
        .annotate(month=month_of_sale)
        .values("month", "currency")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    for row in rows:
        month = _local_month(row["month"])
        amounts[month][row["currency"]] += row["total"]
        counts[month] += row["count"]
    refunds = (
        Refund.objects.filter(order__in=sales(seller).filter(paid_at__gte=since))
        # Only refunds in the order's currency count against it (as in record_refund).
        .filter(currency=F("order__currency"))
        .exclude(payment__flag__in=EXTRA_PAYMENT_FLAGS)
        .annotate(month=TruncMonth("order__paid_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for refund in refunds:
        amounts[_local_month(refund["month"])][refund["currency"]] -= refund["total"]
    return [
        MonthRevenue(
            month=month,
            amounts={code: value for code, value in sorted(amounts[month].items()) if value},
            sales=counts[month],
        )
        for month in calendar
    ]


def latest_buyers(seller: User, *, limit: int = LATEST_BUYERS) -> list[LatestBuyer]:
    """The ``limit`` buyers who bought from the seller most recently, newest first.

    Each buyer appears once, with their latest sale and their number of sales.
    One query: window functions pick each buyer's latest sale in the database.
    """
    newest_first = [F("paid_at").desc(), F("id").desc()]
    orders = (
        sales(seller)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("buyer_id")], order_by=newest_first),
            purchases=Window(Count("id"), partition_by=[F("buyer_id")]),
        )
        .filter(rank=1)
        .select_related(*person_related("buyer"), "product")
        .order_by(*newest_first)[:limit]
    )
    return [
        LatestBuyer(
            buyer_name=display_name(order.buyer),
            buyer_email=email_of(order.buyer),
            product_title=order.product.title,
            amount=order.amount,
            currency=order.currency,
            paid_at=order.paid_at or order.created_at,
            purchases=order.purchases,
        )
        for order in orders
    ]


def seller_summary(
    seller: User, *, months: int = DEFAULT_MONTHS, now: dt.datetime | None = None,
    buyers: int = LATEST_BUYERS,
) -> SellerSummary:
    """The dashboard's numbers for ``seller``: four queries, three with ``buyers=0``
    (no latest buyers, for callers that do not show them)."""
    return SellerSummary(
        total_customers=total_customers(seller),
        months=monthly_revenue(seller, months=months, now=now),
        latest_buyers=latest_buyers(seller, limit=buyers) if buyers else [],
    )
