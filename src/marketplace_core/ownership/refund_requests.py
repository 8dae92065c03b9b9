"""Refunds a seller starts: validated and recorded here, sent by a task, made final by webhook.

:func:`request_refund` checks a seller's request in one transaction with the
order locked and records a :class:`RefundRequest`; after commit the Celery task
``marketplace_core.send_refund_request`` sends it to the order's provider
(:mod:`marketplace_core.ownership.refund_progress`). Nothing is granted or
revoked here: the refund becomes final only when the provider's
``refund_succeeded`` webhook reaches
:func:`~marketplace_core.ownership.services.record_refund`, exactly like a
refund made in the provider's dashboard.

Money stays consistent because the order row is locked by every writer here
and in ``record_refund``: a seller cannot ask for more than was paid minus
what was refunded minus what is on its way back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from marketplace_core.exceptions import Rejected
from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order, Payment, RefundRequest
from marketplace_core.ownership.refund_progress import provider_of, refundable_amount
from marketplace_core.ownership.tasks import send_refund_request as send_task
from marketplace_core.transactions import after_commit

if TYPE_CHECKING:
    from uuid import UUID

    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.ownership")


@dataclass(frozen=True)
class RefundOptions:
    """What the seller's refund form offers for one order."""

    #: Minor units the seller may still refund.
    refundable: int
    currency: str
    #: Whether an amount below :attr:`refundable` is accepted.
    partial: bool
    #: Why the form is disabled (``""`` when it is not).
    unavailable_reason: str

    @property
    def refundable_display(self) -> str:
        return format_money(self.refundable, self.currency)


def refund_options(order: Order) -> RefundOptions:
    """The refund form's state for ``order``: how much, whether partial, or why not."""
    provider = provider_of(order)
    refundable = refundable_amount(order)
    reason = ""
    if provider is None or not provider.supports_refunds:
        name = provider.verbose_name if provider is not None else order.provider
        reason = (f"{name} does not take refund requests from this site: refund the payment "
                  "in the provider's dashboard; the refund then shows up here.")
    elif order.status == Order.Status.REFUNDED:
        reason = "This order has been refunded in full."
    elif order.status != Order.Status.PAID:
        reason = "This order is not paid, so there is nothing to refund."
    elif refundable == 0:
        reason = "Everything paid for this order is refunded or on its way back."
    return RefundOptions(
        refundable=refundable, currency=order.currency,
        partial=bool(provider is not None and provider.supports_partial_refunds),
        unavailable_reason=reason,
    )


def request_refund(
    *, seller: User, order_reference: str | UUID, amount: int, reason: str = "",
) -> RefundRequest:
    """Record ``seller``'s request to refund ``amount`` (minor units) of an order of theirs.

    Validated in one transaction with the order locked; raises :class:`Rejected`
    (nothing recorded) with ``code``: ``"not_found"`` (no such order among the
    seller's products' orders), ``"no_refunds"`` (the provider takes no refund
    requests), ``"not_paid"``, ``"nothing_left"`` (refunded already, or the rest
    is on its way back), ``"invalid_amount"`` (below 1), ``"too_much"`` (more
    than is left) or ``"whole_only"`` (a partial amount the provider cannot
    refund). After commit the request is sent to the provider by a task.
    """
    with transaction.atomic():
        order = (Order.objects.select_for_update(of=("self",))
                 .filter(reference=order_reference, product__seller_id=seller.pk).first())
        if order is None:
            raise Rejected("There is no such order among your sales.", code="not_found")
        options = refund_options(order)
        provider = provider_of(order)
        if provider is None or not provider.supports_refunds:
            raise Rejected(options.unavailable_reason, code="no_refunds")
        if order.status == Order.Status.REFUNDED:
            raise Rejected(options.unavailable_reason, code="nothing_left")
        if order.status != Order.Status.PAID:
            raise Rejected(options.unavailable_reason, code="not_paid")
        left = options.refundable
        if left == 0:
            raise Rejected(options.unavailable_reason, code="nothing_left")
        if amount < 1:
            raise Rejected("Enter an amount greater than zero.", code="invalid_amount")
        if amount > left:
            raise Rejected(f"You can refund at most {options.refundable_display} of this "
                           "order.", code="too_much")
        if amount != left and not options.partial:
            raise Rejected(f"{provider.verbose_name} only refunds what is left of an order: "
                           f"{options.refundable_display}.", code="whole_only")
        payment = (order.payments.filter(status=Payment.Status.SUCCEEDED, flag="")
                   .order_by("confirmed_at", "id").first())
        if payment is None:  # a paid order always has its payment; be safe anyway
            raise Rejected(options.unavailable_reason or "This order has no payment to refund.",
                           code="not_paid")
        refund_request = RefundRequest.objects.create(
            order=order, payment=payment, provider=order.provider, amount=amount,
            currency=order.currency, reason=reason.strip()[:255], requested_by=seller,
        )
        after_commit(send_task.delay, refund_request.pk)
        logger.info("%s asked to refund %s of %s", seller.pk, amount, order)
        return refund_request
