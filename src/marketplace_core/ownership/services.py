"""The only writers of orders, payments, refunds and ownership.

Every function here runs in one database transaction, is idempotent (calling
it again with the same provider ids changes nothing), and emits its events
after commit. Concurrent calls for one order are serialized by locking the
order row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serializes writers
itself, with ``transaction_mode="IMMEDIATE"`` so a transaction never has to
upgrade a read lock).

State transitions are monotonic. Whatever order a provider's events arrive
in, an order ends in this state:

==========================================  ===========  ===========================
events received (any order, any repeats)    order        ownership
==========================================  ===========  ===========================
a full refund                               refunded     revoked if it was granted
                                                         (never granted when the
                                                         refund came first)
a success (amount and currency match)       paid         active
a failure, no success                       failed       none
only "processing"                           pending      none
==========================================  ===========  ===========================

A pending order nobody paid for expires after ``PENDING_ORDER_TTL``
(:func:`expire_pending_orders`); a success reported later still pays it.
A late "failed" or "processing" never downgrades a paid order, and nothing
turns a refunded order back into a paid one. Successful payments that cannot
pay for their order (amount mismatch, a second charge, after a refund, the
product already owned) are stored with a ``flag`` for a human to refund.

The buyer is emailed a receipt when an order becomes paid and a notice when a
paid order is refunded (:mod:`marketplace_core.receipts`), each once per order.

Disputes (chargebacks) are recorded next to the order, whatever order their
events arrive in; they change neither the order nor ownership, and their
status only moves forward (opened → challenged → won, lost, accepted,
cancelled or expired).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from django.db import IntegrityError, router, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.catalog.visitors import bump_person_after_commit
from marketplace_core.conf import conf
from marketplace_core.discounts import services as discounts
from marketplace_core.exceptions import Rejected
from marketplace_core.notifications.seller_events import notify_sale
from marketplace_core.ownership.inserts import insert_once
from marketplace_core.ownership.models import (
    Dispute,
    Order,
    Payment,
    PurchasedProduct,
    Refund,
    WebhookDelivery,
)
from marketplace_core.ownership.refund_progress import (
    EXTRA_PAYMENT_FLAGS as EXTRA_PAYMENT_FLAGS,  # re-exported: analytics reads it here
)
from marketplace_core.ownership.refund_progress import (
    attach_refund,
    counted_refunds,
)
from marketplace_core.payments.providers import (
    MAX_AMOUNT,
    EventKind,
    ParsedDelivery,
    WebhookEvent,
    validate_delivery,
)
from marketplace_core.plugins.events import emit
from marketplace_core.prepared import prepared
from marketplace_core.receipts.services import (
    queue_partial_refund_notice,
    queue_receipt,
    queue_refund_notice,
)

if TYPE_CHECKING:
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.ownership")


class Outcome(StrEnum):
    """What applying one provider event did."""

    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    FLAGGED = "flagged"
    FAILURE_RECORDED = "failure_recorded"
    REFUNDED = "refunded"
    ALREADY_REFUNDED = "already_refunded"
    RECORDED = "recorded"
    IGNORED = "ignored"
    UNKNOWN_ORDER = "unknown_order"
    #: The event lacks what core needs (a provider id); nothing was changed.
    INVALID = "invalid"
    DUPLICATE_DELIVERY = "duplicate_delivery"


# -------------------------------------------------------------------------
# checkout
# -------------------------------------------------------------------------


def owns(user: User, product: Product) -> bool:
    """Whether ``user`` has active ownership of ``product``."""
    return PurchasedProduct.objects.active().filter(buyer=user, product=product).exists()


def expire_pending_orders(*, buyer: User | None = None, product: Product | None = None) -> int:
    """Mark pending orders untouched for ``PENDING_ORDER_TTL`` seconds expired; how many.

    Limited to ``buyer`` and ``product`` when given. An expired order's
    discount code use is free again (uses are counted from orders:
    :func:`marketplace_core.discounts.services.redemptions`). One ``UPDATE``: a
    confirmation holding the order's lock goes first (the order is then paid,
    and stays so); one that arrives later still pays the expired order.
    """
    stale = Order.objects.filter(
        status=Order.Status.PENDING,
        updated_at__lt=timezone.now() - timedelta(seconds=conf.PENDING_ORDER_TTL),
    )
    if buyer is not None:
        stale = stale.filter(buyer_id=buyer.pk)
    if product is not None:
        stale = stale.filter(product_id=product.pk)
    return stale.update(status=Order.Status.EXPIRED, updated_at=timezone.now())


def start_checkout(
    *, buyer: User, product: Product, provider: str, billing: dict[str, Any] | None = None,
    language: str = "", site_url: str = "", discount_code: str = "",
) -> Order:
    """The pending order for ``buyer`` and ``product``: an open one reused, or a new one.

    Raises :class:`Rejected` when the product is not for sale, is the buyer's
    own (``"own_product"``) or the buyer already owns it. An open order older
    than ``PENDING_ORDER_TTL`` expires and a new one starts. The order carries
    the product's current price; a reused order is brought up to date with the
    price, provider and billing details.
    ``language`` and ``site_url`` (where the buyer checked out) are what emails
    about the order are written in and link to.

    ``discount_code`` (any letter case; empty: none) is checked under its row
    lock and the order takes one of its uses: ``amount`` is the discounted
    price, ``list_amount`` the price and ``discount_code`` the code. A reused
    order gets the code given now, or loses the one it had. A code that cannot
    be used raises :class:`Rejected` with a ``discount_*`` code and the buyer's
    reason (:mod:`marketplace_core.discounts.services`); nothing changes then.
    """
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        if not product.is_buyable:
            raise Rejected("This product is not for sale.", code="not_for_sale")
        if product.seller_id == buyer.pk:
            raise Rejected("This is your own product: you cannot buy it.", code="own_product")
        if owns(buyer, product):
            raise Rejected("You already own this product.", code="already_owned")
        expire_pending_orders(buyer=buyer, product=product)
        order = (
            Order.objects.select_for_update()
            .filter(buyer=buyer, product=product, status=Order.Status.PENDING)
            .first()
        )
        price = discounts.lock_for_checkout(discount_code, product=product, buyer=buyer,
                                            order=order)
        if order is None:
            try:
                with transaction.atomic():
                    order = Order.objects.create(
                        buyer=buyer,
                        product=product,
                        amount=price.amount,
                        list_amount=price.list_amount,
                        discount_code=price.code,
                        currency=product.currency,
                        provider=provider,
                        billing=billing or {},
                    )
            except IntegrityError:
                # A concurrent request created it first; use that one.
                order = Order.objects.select_for_update().get(
                    buyer=buyer, product=product, status=Order.Status.PENDING
                )
        order.amount = price.amount
        order.list_amount = price.list_amount
        order.discount_code = price.code
        order.currency = product.currency
        order.provider = provider
        if billing is not None:
            order.billing = billing
        order.language = language[:16]
        order.site_url = site_url[:200]
        order.save(update_fields=["amount", "list_amount", "discount_code", "currency",
                                  "provider", "billing", "language", "site_url", "updated_at"])
        return order


def attach_checkout(order: Order, provider_checkout_id: str) -> None:
    """Remember the provider's checkout session id on ``order``."""
    Order.objects.filter(pk=order.pk).update(
        provider_checkout_id=provider_checkout_id, updated_at=timezone.now()
    )
    order.provider_checkout_id = provider_checkout_id


# -------------------------------------------------------------------------
# payments
# -------------------------------------------------------------------------


#: The reference the locked order's query is compiled with (each call binds the real one).
_PLACEHOLDER_REFERENCE = UUID(int=0)


def _orders(with_ownership: bool) -> QuerySet[Order]:
    """Orders locked for update; ``with_ownership``: with ``granted_here`` and
    ``owned_elsewhere`` (see :func:`_locked_order`)."""
    orders = Order.objects.select_for_update()
    if with_ownership:
        held = PurchasedProduct.objects.active().filter(
            buyer_id=OuterRef("buyer_id"), product_id=OuterRef("product_id"))
        orders = orders.annotate(
            granted_here=Exists(PurchasedProduct.objects.filter(order_id=OuterRef("pk"))),
            owned_elsewhere=Exists(held.exclude(order_id=OuterRef("pk"))),
        )
    return orders


def _locked_order(reference: str | UUID | None, provider: str, *,
                  with_ownership: bool = False) -> Order | None:
    """The order ``reference`` checked out with ``provider``, locked; else ``None``.

    A provider only ever speaks for its own orders: an event naming another
    provider's order is treated like an unknown order, so one provider's
    webhooks (the dummy provider's in a development leftover, say) can never
    pay or refund orders taken through another. ``with_ownership`` reads in the
    same query what :func:`_ownership` needs (``granted_here``,
    ``owned_elsewhere``).
    """
    if not reference:
        return None
    try:
        ref = UUID(str(reference))
    except ValueError:
        return None
    # Every delivery makes this query: compiled once per database (building it
    # again, its annotations above all, was most of the ORM's work of a delivery).
    query = prepared(
        ("locked_order", with_ownership, router.db_for_write(Order)),
        lambda ref: _orders(with_ownership).filter(reference=ref).order_by("pk")[:1],
        Order._meta.get_field("reference"), _PLACEHOLDER_REFERENCE)
    if query is not None:
        order = query.first(ref)
    else:
        order = _orders(with_ownership).filter(reference=ref).order_by("pk").first()
    if order is not None and order.provider != provider:
        logger.error("Provider %r sent an event for order %s, which belongs to %r",
                     provider, order.reference, order.provider)
        return None
    return order


#: Longest provider id the database stores (``CharField(max_length=255)``).
_MAX_PROVIDER_ID = 255

_Fallback = TypeVar("_Fallback", int, None)


def _valid_provider_id(value: str, what: str) -> bool:
    """Whether ``value`` can identify a payment or refund (non-empty, storable)."""
    if value and len(value) <= _MAX_PROVIDER_ID:
        return True
    logger.error("Provider event with an unusable %s id %r ignored", what, value[:80])
    return False


def _is_storable_amount(amount: object) -> bool:
    """Whether ``amount`` fits a ``PositiveIntegerField`` on every database."""
    return isinstance(amount, int) and not isinstance(amount, bool) and (
        0 <= amount <= MAX_AMOUNT)


def _storable_amount(amount: int | None, fallback: _Fallback) -> int | _Fallback:
    """``amount`` if it fits a ``PositiveIntegerField`` on every database, else ``fallback``.

    Amounts from providers are recorded as reported, but a missing, negative or
    too large one (over 2**31 - 1: PostgreSQL's ``integer``) must not abort the
    whole delivery with a database error.
    """
    return amount if _is_storable_amount(amount) else fallback  # type: ignore[return-value]


def _reported_payment(order: Order, provider: str, provider_payment_id: str) -> Payment | None:
    """The order's payment the provider names (``None`` when it names none or an unknown one)."""
    if not provider_payment_id:
        return None
    return Payment.objects.filter(
        order=order, provider=provider, provider_payment_id=provider_payment_id
    ).first()


def _ownership(order: Order) -> bool | None:
    """For an order read with ``with_ownership``: ``True`` when its buyer holds the
    product through another order, ``False`` when this order should grant it,
    ``None`` when it already did."""
    if getattr(order, "granted_here", False):
        return None
    return bool(getattr(order, "owned_elsewhere", False))


def _grant(order: Order) -> PurchasedProduct:
    """Ownership for a paid order (the caller checked :func:`_owned_elsewhere`)."""
    purchase = PurchasedProduct.objects.create(
        buyer_id=order.buyer_id, product_id=order.product_id, order=order,
        granted_at=timezone.now(),
    )
    emit("ownership_granted", purchase=purchase)
    return purchase


def confirm_payment(
    *,
    provider: str,
    order_reference: str | UUID | None,
    provider_payment_id: str,
    amount: int | None,
    currency: str,
) -> Outcome:
    """Record a successful payment and grant ownership exactly once.

    The amount and currency must equal the order's; otherwise the attempt is
    stored as failed with ``flag="amount_mismatch"`` and nothing is granted.
    A successful payment the order cannot use (the order is already paid or
    refunded, or the buyer owns the product through another order) is stored
    with a flag (``duplicate_payment``, ``after_refund``, ``already_owned``) for
    a human to refund, and returns :attr:`Outcome.FLAGGED`.
    """
    if not _valid_provider_id(provider_payment_id, "payment"):
        return Outcome.INVALID
    reported_currency = (currency or "").upper()
    # Joins apply_delivery's transaction (no savepoint: an error rolls back the
    # whole delivery, which the provider then retries).
    with transaction.atomic(savepoint=False):
        order = _locked_order(order_reference, provider, with_ownership=True)
        if order is None:
            logger.warning(
                "Payment %s names unknown order %r", provider_payment_id, order_reference
            )
            return Outcome.UNKNOWN_ORDER
        payment = Payment(
            order=order, provider=provider, provider_payment_id=provider_payment_id,
            amount=_storable_amount(amount, 0), currency=reported_currency[:3],
        )
        settled = _settle(order, payment, amount, reported_currency)
        if not insert_once(payment):
            # Reported before (failed or processing, say): settle the stored one.
            payment = Payment.objects.get(provider=provider,
                                          provider_payment_id=provider_payment_id)
            if payment.order_id != order.pk:
                logger.error("Payment %s reported for two orders", provider_payment_id)
                return Outcome.FLAGGED
            if payment.status == Payment.Status.SUCCEEDED:
                return Outcome.ALREADY_CONFIRMED
            settled = _settle(order, payment, amount, reported_currency)
            payment.save()
        if settled == "mismatch":
            logger.error("Amount mismatch on %s: %s", order, payment.failure_reason)
            return Outcome.FLAGGED
        if settled == "extra":
            logger.error("Extra successful payment %s on %s (%s)", payment, order, order.status)
            return Outcome.FLAGGED
        order.status = Order.Status.PAID
        order.paid_at = payment.confirmed_at
        order.save(update_fields=["status", "paid_at", "updated_at"])
        if settled == "grant":
            _grant(order)
            notify_sale(order)
        emit("payment_confirmed", order=order, payment=payment)
        queue_receipt(order)
        if settled == "already_owned":
            logger.error("Payment %s on %s for a product already owned", payment, order)
            return Outcome.FLAGGED
        return Outcome.CONFIRMED


def _settle(order: Order, payment: Payment, amount: int | None, currency: str) -> str:
    """Set ``payment``'s fields for a reported success on locked ``order`` and say
    what follows: ``"mismatch"`` (stored as failed), ``"extra"`` (the order is
    paid or refunded already: flagged for a human), else the order becomes paid
    and ``"grant"``, ``"granted"`` (this order granted before) or
    ``"already_owned"`` (two checkouts were open and both were charged)."""
    if amount != order.amount or currency != order.currency:
        payment.status = Payment.Status.FAILED
        payment.flag = "amount_mismatch"
        payment.failure_reason = (
            f"Charged {amount} {currency[:8]}, order is {order.amount} {order.currency}."
        )[:255]
        return "mismatch"
    payment.amount = amount
    payment.currency = currency
    payment.status = Payment.Status.SUCCEEDED
    payment.failure_reason = ""
    payment.confirmed_at = timezone.now()
    if order.status not in (Order.Status.PENDING, Order.Status.FAILED, Order.Status.EXPIRED):
        # Paid already through another attempt, or refunded before this arrived:
        # the money is recorded for a human to reconcile, ownership is unchanged.
        payment.flag = ("duplicate_payment" if order.status == Order.Status.PAID
                        else "after_refund")
        return "extra"
    owned_elsewhere = _ownership(order)
    if owned_elsewhere:
        payment.flag = "already_owned"
        return "already_owned"
    return "granted" if owned_elsewhere is None else "grant"


def record_payment_failure(
    *,
    provider: str,
    order_reference: str | UUID | None,
    provider_payment_id: str,
    amount: int | None = None,
    currency: str = "",
    reason: str = "",
) -> Outcome:
    """Record a failed attempt; a pending order becomes failed, a paid one stays paid.

    A repeated failure, or a failure reported after the attempt succeeded, is
    :attr:`Outcome.IGNORED`.
    """
    if not _valid_provider_id(provider_payment_id, "payment"):
        return Outcome.INVALID
    with transaction.atomic():
        order = _locked_order(order_reference, provider)
        if order is None:
            return Outcome.UNKNOWN_ORDER
        payment, created = Payment.objects.get_or_create(
            provider=provider,
            provider_payment_id=provider_payment_id,
            defaults={
                "order": order,
                "amount": _storable_amount(amount, order.amount),
                "currency": (currency or order.currency).upper()[:3],
                "status": Payment.Status.FAILED,
                "failure_reason": reason[:255],
            },
        )
        if payment.order_id != order.pk:
            logger.error("Payment %s reported for two orders", provider_payment_id)
            return Outcome.FLAGGED
        if not created:
            if payment.status != Payment.Status.PENDING:
                return Outcome.IGNORED  # succeeded stays succeeded; failed is already failed
            payment.status = Payment.Status.FAILED
            payment.failure_reason = reason[:255]
            payment.save(update_fields=["status", "failure_reason", "updated_at"])
        if order.status == Order.Status.PENDING:
            order.status = Order.Status.FAILED
            order.save(update_fields=["status", "updated_at"])
        emit("payment_failed", order=order, payment=payment)
        return Outcome.FAILURE_RECORDED


def record_payment_processing(
    *,
    provider: str,
    order_reference: str | UUID | None,
    provider_payment_id: str,
    amount: int | None = None,
    currency: str = "",
) -> Outcome:
    """Note an attempt under way; never changes a settled attempt or order."""
    if not _valid_provider_id(provider_payment_id, "payment"):
        return Outcome.INVALID
    with transaction.atomic():
        order = _locked_order(order_reference, provider)
        if order is None:
            return Outcome.UNKNOWN_ORDER
        _, created = Payment.objects.get_or_create(
            provider=provider,
            provider_payment_id=provider_payment_id,
            defaults={
                "order": order,
                "amount": _storable_amount(amount, order.amount),
                "currency": (currency or order.currency).upper()[:3],
            },
        )
        return Outcome.RECORDED if created else Outcome.IGNORED


# -------------------------------------------------------------------------
# refunds and revocation
# -------------------------------------------------------------------------


def revoke_ownership(purchase: PurchasedProduct, *, reason: str) -> bool:
    """End ``purchase``'s access. Returns ``False`` when it was already revoked."""
    with transaction.atomic():
        updated = PurchasedProduct.objects.filter(pk=purchase.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason[:64]
        )
        if not updated:
            return False
        bump_person_after_commit(purchase.buyer_id)  # their Buy / Download, Owned badges
        purchase.refresh_from_db()
        emit("ownership_revoked", purchase=purchase, reason=reason)
        return True


def record_refund(
    *,
    provider: str,
    order_reference: str | UUID | None,
    provider_refund_id: str,
    amount: int | None,
    currency: str,
    provider_payment_id: str = "",
    reason: str = "",
) -> Outcome:
    """Record a refund; once refunds cover the order's amount, ownership is revoked.

    A partial refund (less than the order's amount in total) is recorded and
    leaves ownership in place. A refund that arrives before the payment it
    refunds still counts: the order ends refunded and is never granted. A
    refund of an extra charge (a payment flagged as a duplicate, a mismatch or
    after a refund) gives that money back without touching the order. Only
    refunds in the order's currency count towards its amount. A repeated
    refund id is :attr:`Outcome.ALREADY_REFUNDED`. A refund a seller asked for
    (:mod:`marketplace_core.ownership.refund_requests`) marks that request
    succeeded.
    """
    if not _valid_provider_id(provider_refund_id, "refund"):
        return Outcome.INVALID
    if amount is not None and not _is_storable_amount(amount):
        logger.error("Refund %s with unusable amount %r ignored", provider_refund_id, amount)
        return Outcome.INVALID
    with transaction.atomic():
        order = _locked_order(order_reference, provider)
        if order is None:
            return Outcome.UNKNOWN_ORDER
        payment = _reported_payment(order, provider, provider_payment_id)
        refund, created = Refund.objects.get_or_create(
            provider=provider,
            provider_refund_id=provider_refund_id,
            defaults={
                "order": order,
                "payment": payment,
                "amount": amount if amount is not None else order.amount,
                "currency": (currency or order.currency).upper()[:3],
                "reason": reason[:255],
            },
        )
        if not created:
            return Outcome.ALREADY_REFUNDED
        attach_refund(order, refund)  # a seller's request it answers, if any
        emit("refund_recorded", order=order, refund=refund)
        if refund.currency != order.currency:
            logger.error("Refund %s in %s on %s (%s) not counted", refund, refund.currency,
                         order, order.currency)
        if counted_refunds(order) < order.amount:
            if refund.currency == order.currency and order.status == Order.Status.PAID:
                queue_partial_refund_notice(refund.pk)
            return Outcome.RECORDED
        if order.status != Order.Status.REFUNDED:
            order.status = Order.Status.REFUNDED
            order.save(update_fields=["status", "updated_at"])
            if order.paid_at is not None:
                queue_refund_notice(order)
        purchase = PurchasedProduct.objects.active().filter(order=order).first()
        if purchase is not None:
            revoke_ownership(purchase, reason="refund")
        return Outcome.REFUNDED


# -------------------------------------------------------------------------
# disputes
# -------------------------------------------------------------------------

#: How far along a dispute is; a status never replaces one ranked higher.
_DISPUTE_RANK: dict[str, int] = {"opened": 0, "challenged": 1}
_FINAL_RANK = 2


def _dispute_status(value: str) -> str:
    return value if value in Dispute.Status.values else Dispute.Status.OPENED


def record_dispute(
    *,
    provider: str,
    order_reference: str | UUID | None,
    provider_dispute_id: str,
    status: str,
    provider_payment_id: str = "",
    amount: int | None = None,
    currency: str = "",
    reason: str = "",
) -> Outcome:
    """Record a dispute, or move a recorded one forward.

    ``status`` is one of :class:`Dispute.Status`'s values (anything else counts
    as ``"opened"``). A status ranked below the recorded one (opened <
    challenged < final) is :attr:`Outcome.IGNORED`, as is a second final
    status: the first outcome stands. The order and ownership are unchanged.
    """
    if not _valid_provider_id(provider_dispute_id, "dispute"):
        return Outcome.INVALID
    new_status = _dispute_status(status)
    with transaction.atomic():
        order = _locked_order(order_reference, provider)
        if order is None:
            logger.warning("Dispute %s names unknown order %r", provider_dispute_id,
                           order_reference)
            return Outcome.UNKNOWN_ORDER
        payment = _reported_payment(order, provider, provider_payment_id)
        now = timezone.now()
        dispute, created = Dispute.objects.select_for_update().get_or_create(
            provider=provider,
            provider_dispute_id=provider_dispute_id,
            defaults={
                "order": order,
                "payment": payment,
                "provider_payment_id": provider_payment_id[:255],
                "status": new_status,
                "amount": _storable_amount(amount, None),
                "currency": currency.upper()[:3],
                "reason": reason[:255],
                "closed_at": now if new_status in Dispute.FINAL else None,
            },
        )
        if dispute.order_id != order.pk:
            logger.error("Dispute %s reported for two orders", provider_dispute_id)
            return Outcome.FLAGGED
        if not created:
            current = _DISPUTE_RANK.get(dispute.status, _FINAL_RANK)
            if _DISPUTE_RANK.get(new_status, _FINAL_RANK) <= current:
                return Outcome.IGNORED
            dispute.status = new_status
            dispute.closed_at = now if new_status in Dispute.FINAL else None
            if payment is not None and dispute.payment_id is None:
                dispute.payment = payment
            dispute.save(update_fields=["status", "closed_at", "payment", "updated_at"])
        logger.warning("Dispute %s on %s is %s", dispute, order, dispute.status)
        return Outcome.RECORDED


# -------------------------------------------------------------------------
# webhook deliveries
# -------------------------------------------------------------------------


def order_reference_for_payment(provider: str, provider_payment_id: str) -> str | None:
    """The reference of the order a known payment belongs to, or ``None``.

    Refund and dispute events often name only the payment; providers call this
    (a read, never a write) before asking their service.
    """
    if not provider_payment_id:
        return None
    reference = (
        Payment.objects.filter(provider=provider, provider_payment_id=provider_payment_id)
        .values_list("order__reference", flat=True)
        .first()
    )
    return str(reference) if reference else None


@dataclass(frozen=True)
class DeliveryResult:
    """What applying a delivery did, event by event."""

    duplicate: bool
    outcomes: list[Outcome]

    @property
    def summary(self) -> str:
        if self.duplicate:
            return Outcome.DUPLICATE_DELIVERY.value
        return ",".join(o.value for o in self.outcomes) or Outcome.IGNORED.value


def apply_event(provider: str, event: WebhookEvent) -> Outcome:
    """Apply one normalized event through the services above.

    An event without an order reference is matched to its order through the
    payment it names, when core knows that payment.
    """
    if not event.order_reference and event.provider_payment_id:
        reference = order_reference_for_payment(provider, event.provider_payment_id)
        if reference:
            event = replace(event, order_reference=reference)
    if event.kind == EventKind.PAYMENT_SUCCEEDED:
        return confirm_payment(
            provider=provider,
            order_reference=event.order_reference,
            provider_payment_id=event.provider_payment_id,
            amount=event.amount,
            currency=event.currency,
        )
    if event.kind == EventKind.PAYMENT_FAILED:
        return record_payment_failure(
            provider=provider,
            order_reference=event.order_reference,
            provider_payment_id=event.provider_payment_id,
            amount=event.amount,
            currency=event.currency,
            reason=event.reason,
        )
    if event.kind == EventKind.PAYMENT_PROCESSING:
        return record_payment_processing(
            provider=provider,
            order_reference=event.order_reference,
            provider_payment_id=event.provider_payment_id,
            amount=event.amount,
            currency=event.currency,
        )
    if event.kind == EventKind.REFUND_SUCCEEDED:
        return record_refund(
            provider=provider,
            order_reference=event.order_reference,
            provider_refund_id=event.provider_refund_id,
            provider_payment_id=event.provider_payment_id,
            amount=event.amount,
            currency=event.currency,
            reason=event.reason,
        )
    if event.kind == EventKind.DISPUTE:
        return record_dispute(
            provider=provider,
            order_reference=event.order_reference,
            provider_dispute_id=event.provider_dispute_id,
            status=event.dispute_status,
            provider_payment_id=event.provider_payment_id,
            amount=event.amount,
            currency=event.currency,
            reason=event.reason,
        )
    logger.info("Provider %s event %s acknowledged (%s)", provider, event.event_type, event.kind)
    return Outcome.IGNORED


def apply_delivery(provider: str, delivery: ParsedDelivery) -> DeliveryResult:
    """Apply a verified delivery once, atomically.

    The delivery id is recorded in the same transaction as its effects, under a
    unique constraint: a concurrent or later duplicate is answered without
    changing anything, and a failure rolls both back so the provider's retry
    is applied in full. A delivery with any event core cannot store as
    reported raises :class:`~marketplace_core.payments.providers.InvalidWebhookEvent`
    before anything is written (:func:`~marketplace_core.payments.providers.validate_delivery`).
    """
    validate_delivery(delivery)
    with transaction.atomic():
        record = WebhookDelivery(
            provider=provider,
            delivery_id=delivery.delivery_id,
            event_types=",".join(e.event_type for e in delivery.events)[:255],
        )
        if not insert_once(record):
            return DeliveryResult(duplicate=True, outcomes=[])
        outcomes = [apply_event(provider, event) for event in delivery.events]
        result = DeliveryResult(duplicate=False, outcomes=outcomes)
        record.outcome = result.summary[:64]
        record.save(update_fields=["outcome"])
        return result
