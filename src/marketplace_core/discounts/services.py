"""Checking a discount code against a checkout, and the seller's changes to codes.

A code's uses are the orders that hold it and still count: paid, refunded,
or pending and younger than ``PENDING_ORDER_TTL``. An order that expires
(``expire_pending_orders``, or simply by going stale) or fails frees its use
with no further write, and a paid one keeps it. The checkout takes a use
while holding the code's row lock (:func:`lock_for_checkout`), so concurrent
checkouts never take more uses than ``usage_limit``.

A code that would make the price zero is refused at checkout: payment
providers do not take zero-amount payments, and granting without payment is
not what a discount code is for (see docs/discounts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from marketplace_core.conf import conf
from marketplace_core.discounts.models import DiscountCode, normalize_code
from marketplace_core.exceptions import Rejected
from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order
from marketplace_core.plugins.events import emit

if TYPE_CHECKING:
    from datetime import datetime

    from marketplace_core.catalog.models import Product
    from marketplace_core.people.types import User

#: The one answer for a code that is unknown, another seller's, or not for this
#: product: it must not tell a buyer which codes exist elsewhere.
NOT_VALID = "This code is not valid for this product."


def counting_orders(now: datetime | None = None) -> Q:
    """The orders that hold a use of their code (a filter on ``Order``)."""
    fresh = (now or timezone.now()) - timedelta(seconds=conf.PENDING_ORDER_TTL)
    return Q(status__in=(Order.Status.PAID, Order.Status.REFUNDED)) | Q(
        status=Order.Status.PENDING, updated_at__gte=fresh)


def redemptions(code: DiscountCode, *, exclude_order: int | None = None) -> QuerySet[Order]:
    """The orders using ``code`` that count towards its limits."""
    orders = Order.objects.filter(counting_orders(), discount_code=code)
    return orders.exclude(pk=exclude_order) if exclude_order is not None else orders


def with_redemption_counts(codes: QuerySet[DiscountCode]) -> QuerySet[DiscountCode]:
    """``codes`` annotated with ``used`` (their counting orders), in one query."""
    now = timezone.now()
    fresh = now - timedelta(seconds=conf.PENDING_ORDER_TTL)
    return codes.annotate(used=Count("orders", filter=(
        Q(orders__status__in=(Order.Status.PAID, Order.Status.REFUNDED))
        | Q(orders__status=Order.Status.PENDING, orders__updated_at__gte=fresh))))


@dataclass(frozen=True)
class Quote:
    """What a checkout costs with a code: ``list_amount`` before, ``amount`` after."""

    code: DiscountCode | None
    list_amount: int
    amount: int
    currency: str

    @classmethod
    def of(cls, order: Order) -> Quote:
        """What ``order`` costs, as it was saved."""
        list_amount = order.list_amount if order.list_amount is not None else order.amount
        return cls(code=order.discount_code, list_amount=list_amount, amount=order.amount,
                   currency=order.currency)

    @property
    def discount(self) -> int:
        return self.list_amount - self.amount

    @property
    def list_display(self) -> str:
        return format_money(self.list_amount, self.currency)

    @property
    def discount_display(self) -> str:
        return format_money(self.discount, self.currency)

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


def _applies_to(code: DiscountCode, product: Product) -> bool:
    if code.kind == DiscountCode.Kind.FIXED and code.currency != product.currency:
        return False
    chosen = code.products.all()
    return not chosen.exists() or chosen.filter(pk=product.pk).exists()


def _check(code: DiscountCode | None, *, product: Product, buyer: User | None,
           exclude_order: int | None) -> Quote:
    """The quote for ``code`` on ``product``; :class:`Rejected` with the buyer's reason."""
    if code is None or not _applies_to(code, product):
        raise Rejected(_("This code is not valid for this product."), code="discount_not_valid")
    now = timezone.now()
    if not code.is_active:
        raise Rejected(_("This code is no longer active."), code="discount_inactive")
    if code.starts_at is not None and now < code.starts_at:
        raise Rejected(_("This code can be used from %(date)s.")
                       % {"date": date_format(timezone.localtime(code.starts_at),
                                              "DATETIME_FORMAT")},
                       code="discount_not_started")
    if code.ends_at is not None and now >= code.ends_at:
        raise Rejected(_("This code has expired."), code="discount_expired")
    if code.usage_limit is not None and (
            redemptions(code, exclude_order=exclude_order).count() >= code.usage_limit):
        raise Rejected(_("This code has been used up."), code="discount_exhausted")
    if code.once_per_buyer and buyer is not None and buyer.pk is not None and (
            redemptions(code, exclude_order=exclude_order).filter(buyer_id=buyer.pk).exists()):
        raise Rejected(_("You have already used this code."), code="discount_used")
    amount = code.discounted(product.price)
    if amount <= 0:
        raise Rejected(_("This code would make the price zero, and a free order cannot be "
                         "paid for here."), code="discount_free")
    return Quote(code=code, list_amount=product.price, amount=amount, currency=product.currency)


def _code_of(product: Product, text: str) -> QuerySet[DiscountCode]:
    return DiscountCode.objects.filter(seller_id=product.seller_id, code=normalize_code(text))


def quote(text: str, *, product: Product, buyer: User | None = None) -> Quote:
    """What ``product`` costs ``buyer`` with code ``text`` (no code: the price).

    A read for the checkout page's preview; it takes no use. Raises
    :class:`Rejected` with a message for the buyer (``NOT_VALID`` for any code
    that is not this seller's for this product). A buyer's own open order for
    ``product`` is not counted against the code: checking out reuses it.
    """
    if not normalize_code(text):
        return Quote(code=None, list_amount=product.price, amount=product.price,
                     currency=product.currency)
    open_order = None
    if buyer is not None and buyer.pk is not None:
        open_order = Order.objects.filter(buyer_id=buyer.pk, product_id=product.pk,
                                          status=Order.Status.PENDING).values_list(
                                              "pk", flat=True).first()
    return _check(_code_of(product, text).first(), product=product, buyer=buyer,
                  exclude_order=open_order)


def lock_for_checkout(text: str, *, product: Product, buyer: User,
                      order: Order | None) -> Quote:
    """:func:`quote` for the checkout itself: the code's row stays locked until
    the caller's transaction ends, so the use it takes (the order it saves
    with this code) is counted by every concurrent checkout. Call it inside
    ``transaction.atomic``; ``order`` is the open order being reused, if any.
    """
    if not normalize_code(text):
        return Quote(code=None, list_amount=product.price, amount=product.price,
                     currency=product.currency)
    code = _code_of(product, text).select_for_update().first()
    return _check(code, product=product, buyer=buyer,
                  exclude_order=order.pk if order is not None else None)


# -------------------------------------------------------------------------
# the seller's changes
# -------------------------------------------------------------------------


def save_code(code: DiscountCode, *, seller: User, products: Any = None) -> DiscountCode:
    """Create or change ``code`` for ``seller``; ``products`` (the ones it is limited
    to; empty: all) replaces its list when given. A code the seller already
    has, in any letter case, is :class:`Rejected` (``"code_taken"``). Emits
    ``discount_code_saved`` after commit.
    """
    created = code.pk is None
    code.seller = seller
    if code.kind == DiscountCode.Kind.PERCENTAGE:
        code.amount, code.currency = None, ""
    else:
        code.percent = None
    try:
        with transaction.atomic():
            code.save()
            if products is not None:
                code.products.set(products)
            emit("discount_code_saved", code=code, created=created)
    except IntegrityError as exc:
        if created:
            code.pk = None
        raise Rejected(_("You already have the code %(code)s.") % {"code": code.code},
                       code="code_taken") from exc
    return code


def remove_code(code: DiscountCode) -> bool:
    """Delete ``code``, or deactivate it once an order used it (orders keep
    their code). Returns whether it was deleted. Emits ``discount_code_saved``
    (deactivated) or ``discount_code_deleted`` after commit.
    """
    with transaction.atomic():
        code = DiscountCode.objects.select_for_update().get(pk=code.pk)
        if Order.objects.filter(discount_code=code).exists():
            if code.is_active:
                code.is_active = False
                code.save(update_fields=["is_active", "updated_at"])
                emit("discount_code_saved", code=code, created=False)
            return False
        code_id = code.pk
        code.delete()
        emit("discount_code_deleted", code_id=code_id, seller_id=code.seller_id)
        return True
