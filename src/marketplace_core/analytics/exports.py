"""The rows of a seller's CSV exports: orders and customers, for a date range.

Each export is a header and an iterator of rows read from one query through a
server-side cursor (``QuerySet.iterator(chunk_size=...)``: a named cursor on
PostgreSQL, ``fetchmany`` on SQLite), so memory stays flat whatever the number
of rows. Only orders of the seller's own products are read.

- **Orders**: every order (any status) created in the range, oldest first.
- **Customers**: one row per customer *and currency*, from the purchases
  (:mod:`.customers`: paid or refunded orders) made in the range; a customer who
  paid in two currencies has two rows, so amounts are never added across them.

Amounts are decimal numbers in the currency's major unit (``19.99``) with the
currency beside them; times are the site's local time as
``YYYY-MM-DD HH:MM:SS``. The range is of local dates, both ends included;
either end may be open (``None``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Count, F, Max, Min, QuerySet, Sum, Value
from django.utils import timezone

from marketplace_core.analytics.customers import (
    purchase_time,
    purchases,
    refunded_of_order,
)
from marketplace_core.analytics.months import local_midnight
from marketplace_core.money import to_decimal
from marketplace_core.ownership.models import Order
from marketplace_core.people.records import ACCOUNT
from marketplace_core.people.users import email_field_name, own_name_field

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Rows fetched from the database at a time.
CHUNK_SIZE = 2000

ORDER_COLUMNS = ("date", "reference", "product", "buyer_email", "status", "amount", "currency",
                 "refunded_amount", "paid_at")
CUSTOMER_COLUMNS = ("email", "name", "guest", "currency", "purchases", "first_purchase",
                    "last_purchase", "paid", "refunded", "net")


@dataclass(frozen=True)
class DateRange:
    """Local dates, both included; ``None`` leaves that end open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def filter(self, queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
        """``queryset`` restricted to rows whose ``field`` (a time) falls in the range."""
        if self.start is not None:
            queryset = queryset.filter(**{f"{field}__gte": local_midnight(self.start)})
        if self.end is not None:
            after = local_midnight(self.end + dt.timedelta(days=1))
            queryset = queryset.filter(**{f"{field}__lt": after})
        return queryset


def local_time(value: dt.datetime | None) -> str:
    """``2026-12-02 13:45:00`` in the current time zone; ``""`` for ``None``."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def major(amount: int, currency: str) -> str:
    """``1999, "USD"`` → ``"19.99"``; ``0, "USD"`` → ``"0.00"`` (never ``0E-2``)."""
    return format(to_decimal(amount, currency), "f")


def _buyer_email() -> Any:
    name = email_field_name()
    return F(f"buyer__{name}") if name else Value("", output_field=CharField())


def order_rows(seller: User, dates: DateRange) -> Iterator[list[Any]]:
    """The orders export's rows (see :data:`ORDER_COLUMNS`), oldest first."""
    queryset = dates.filter(
        Order.objects.filter(product__seller_id=seller.pk), "created_at"
    ).annotate(refunded_amount=refunded_of_order(), buyer_email=_buyer_email())
    rows = queryset.values_list(
        "created_at", "reference", "product__title", "buyer_email", "status", "amount",
        "currency", "refunded_amount", "paid_at",
    ).order_by("created_at", "id")
    for created, reference, title, email, status, amount, currency, refunded, paid in (
        rows.iterator(chunk_size=CHUNK_SIZE)
    ):
        yield [local_time(created), str(reference), title, email, status,
               major(amount, currency), currency, major(refunded, currency),
               local_time(paid)]


def customer_rows(seller: User, dates: DateRange) -> Iterator[list[Any]]:
    """The customers export's rows (see :data:`CUSTOMER_COLUMNS`), by customer, then currency."""
    name = own_name_field()
    queryset = (
        dates.filter(purchases(seller).annotate(bought_at=purchase_time()), "bought_at")
        .annotate(order_refunded=refunded_of_order(), buyer_email=_buyer_email(),
                  buyer_name=F(f"buyer__{name}" if name else f"buyer__{ACCOUNT}__display_name"),
                  buyer_guest=F(f"buyer__{ACCOUNT}__guest"))
        .values("buyer_id", "buyer_email", "buyer_name", "buyer_guest", "currency")
        .annotate(count=Count("id"), first=Min("bought_at"), last=Max("bought_at"),
                  paid=Sum("amount"), refunded=Sum("order_refunded"))
        .order_by("buyer_id", "currency")
    )
    for row in queryset.iterator(chunk_size=CHUNK_SIZE):
        currency = row["currency"]
        paid, refunded = int(row["paid"] or 0), int(row["refunded"] or 0)
        yield [row["buyer_email"], row["buyer_name"] or "", "yes" if row["buyer_guest"] else "no",
               currency, row["count"], local_time(row["first"]), local_time(row["last"]),
               major(paid, currency), major(refunded, currency), major(paid - refunded, currency)]
