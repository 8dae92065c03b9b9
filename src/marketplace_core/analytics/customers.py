"""A seller's customers: who bought, when first and last, how often, how much per currency.

A **customer** of a seller is a user (guests included) with at least one
**purchase** of the seller's products: an order that was paid, whether it is
still ``paid`` or was fully refunded since (``refunded``). Refunded purchases
count, so that a seller sees everyone who bought (support, disputes); their
money is shown apart: per currency, ``paid`` is what the purchases charged,
``refunded`` what was given back in that currency (partial refunds of paid
orders and full refunds alike; refunds of extra charges, which belong to no
sale, are ignored as in :mod:`.sales`), and ``net`` the difference. The
dashboard's "total customers" counts only buyers of still-paid orders
(:func:`.sales.total_customers`), so it may be lower.

A purchase happened at the order's ``paid_at`` (its ``created_at`` for rows
without one). Money stays in minor units, never added across currencies.

Query bounds, whatever the number of customers: :func:`customers` is one
grouped query (a paginator adds its ``COUNT``), :func:`currency_totals` one
more for the buyers of a page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order, Refund
from marketplace_core.ownership.services import EXTRA_PAYMENT_FLAGS
from marketplace_core.people.records import ACCOUNT
from marketplace_core.people.users import email_field_name, own_name_field

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: The order statuses that are purchases (paid at some point and not undone by the provider).
PURCHASE_STATUSES = (Order.Status.PAID, Order.Status.REFUNDED)


def purchase_time(prefix: str = "") -> Coalesce:
    """When the order at ``prefix`` (``""`` or ``"orders__"``) was bought."""
    return Coalesce(F(f"{prefix}paid_at"), F(f"{prefix}created_at"))


def refunded_of_order() -> Coalesce:
    """An annotation for an ``Order`` queryset: the minor units refunded of that
    order in its own currency (0 when none), extra-charge refunds excluded."""
    refunds = (
        Refund.objects.filter(order_id=OuterRef("pk"), currency=OuterRef("currency"))
        .exclude(payment__flag__in=EXTRA_PAYMENT_FLAGS)
        .order_by()
        .values("order_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(refunds, output_field=IntegerField()), 0)


def purchases(seller: User) -> QuerySet[Order]:
    """The seller's purchases: paid or refunded orders of the seller's products."""
    return Order.objects.filter(product__seller_id=seller.pk, status__in=PURCHASE_STATUSES)


def name_lookup() -> str:
    """The path from a user to the name chosen in the shop (see :func:`.records.shop_name`)."""
    return own_name_field() or f"{ACCOUNT}__display_name"


def customers(seller: User, *, search: str = "") -> QuerySet[Any]:
    """The seller's customers (user objects), latest purchase first.

    Each has ``first_purchase``, ``last_purchase`` and ``purchase_count``
    (annotations) and its :class:`~marketplace_core.people.models.Account` row
    selected (the guest flag and, for user models without a name field, the
    name). ``search`` keeps those whose address or shop name contains it
    (ignoring case). One query; sliced, it reads only that page.
    """
    # The filter comes before the annotations, so they count these orders only.
    queryset = (
        get_user_model()._default_manager
        .filter(orders__product__seller_id=seller.pk, orders__status__in=PURCHASE_STATUSES)
        .annotate(
            first_purchase=Min(purchase_time("orders__")),
            last_purchase=Max(purchase_time("orders__")),
            purchase_count=Count("orders"),
        )
        .select_related(ACCOUNT)
        .defer("password")  # other people's hashes have no business on this page
        .order_by("-last_purchase", "-pk")
    )
    search = search.strip()
    if search:
        matches = Q(**{f"{name_lookup()}__icontains": search})
        email = email_field_name()
        if email:
            matches |= Q(**{f"{email}__icontains": search})
        queryset = queryset.filter(matches)
    return queryset


@dataclass(frozen=True)
class CurrencyTotal:
    """A customer's purchases in one currency, in minor units."""

    currency: str
    paid: int
    refunded: int

    @property
    def net(self) -> int:
        return self.paid - self.refunded

    @property
    def net_display(self) -> str:
        return format_money(self.net, self.currency)

    @property
    def refunded_display(self) -> str:
        return format_money(self.refunded, self.currency)


def currency_totals(seller: User, buyer_ids: Iterable[int]) -> dict[int, list[CurrencyTotal]]:
    """Per buyer of ``buyer_ids``: their totals with the seller, one per currency
    (sorted by code). One grouped query."""
    rows = (
        purchases(seller)
        .filter(buyer_id__in=list(buyer_ids))
        .annotate(order_refunded=refunded_of_order())
        .values("buyer_id", "currency")
        .annotate(paid=Sum("amount"), refunded=Sum("order_refunded"))
        .order_by("buyer_id", "currency")
    )
    totals: dict[int, list[CurrencyTotal]] = defaultdict(list)
    for row in rows:
        totals[row["buyer_id"]].append(
            CurrencyTotal(row["currency"], int(row["paid"] or 0), int(row["refunded"] or 0))
        )
    return totals
