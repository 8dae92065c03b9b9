"""Refunds a seller starts: validated and recorded here, sent by a task, made final by webhook.

:func:`request_refund` checks a seller's request in one transaction with the
order locked and records a :class:`RefundRequest`; after commit the Celery task
``marketplace_core.send_refund_request`` calls :func:`send_refund_request`,
which asks the order's provider
(:meth:`~marketplace_core.payments.providers.PaymentProvider.request_refund`).
Nothing is granted or revoked here: the refund becomes final only when the
provider's ``refund_succeeded`` webhook reaches
:func:`~marketplace_core.ownership.services.record_refund`, exactly like a
refund made in the provider's dashboard. That function calls
:func:`attach_refund`, which marks the matching request succeeded.

The provider's answer and its webhook may arrive in either order (and the
webhook more than once); every ordering ends with one ``Refund`` row and the
request succeeded:

- the answer first: it stores the refund id on the request, and the webhook
  finds the request by that id;
- the webhook first: it takes the oldest outstanding request of the order for
  the same amount, and the answer then finds its refund already attached;
- the webhook again: ``record_refund`` ignores a refund id it already has.

Money stays consistent because the order row is locked by every writer here
and in ``record_refund``: a seller cannot ask for more than was paid minus
what was refunded minus what is on its way back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from marketplace_core.exceptions import Rejected
from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order, Payment, Refund, RefundRequest
from marketplace_core.payments.providers import (
    PaymentProvider,
    RefundRejected,
    RefundUnavailable,
)
from marketplace_core.plugins.registry import payment_provider
from marketplace_core.transactions import after_commit

if TYPE_CHECKING:
    from uuid import UUID

    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.ownership")

#: Flags of successful payments that did not pay for their order (extra charges):
#: refunding one gives that money back and leaves the order and ownership alone.
EXTRA_PAYMENT_FLAGS = ("amount_mismatch", "duplicate_payment", "after_refund")

#: Shown when the provider could not be reached after every retry.
UNREACHABLE_REASON = "The payment provider could not be reached. Nothing was refunded."


def counted_refunds(order: Order) -> int:
    """What was refunded of ``order``'s own amount: its refunds in its currency,
    without refunds of extra charges."""
    return sum(
        order.refunds.filter(currency=order.currency)
        .exclude(payment__flag__in=EXTRA_PAYMENT_FLAGS)
        .values_list("amount", flat=True)
    )


def outstanding_requests(order: Order) -> int:
    """The amount sellers asked to refund that no webhook has confirmed or refused yet."""
    return sum(order.refund_requests.filter(status__in=RefundRequest.OUTSTANDING)
               .values_list("amount", flat=True))


def refundable_amount(order: Order) -> int:
    """What a seller may still ask to refund of ``order`` (0 unless it is paid)."""
    if order.status != Order.Status.PAID:
        return 0
    return max(0, order.amount - counted_refunds(order) - outstanding_requests(order))


def provider_of(order: Order) -> PaymentProvider | None:
    """The provider ``order`` was paid through, or ``None`` when no plugin provides it now."""
    try:
        return payment_provider(order.provider)
    except ImproperlyConfigured:
        return None


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
        from marketplace_core.ownership.tasks import send_refund_request as task

        after_commit(task.delay, refund_request.pk)
        logger.info("%s asked to refund %s of %s", seller.pk, amount, order)
        return refund_request


def send_refund_request(request_id: int) -> RefundRequest.Status | None:
    """Ask the provider for refund request ``request_id``; the request's new status.

    Safe to run twice and at once: only the run that moves the request from
    ``requested`` to ``sent`` calls the provider (another run returns ``None``).
    A refusal marks the request failed with the provider's message; a provider
    that cannot be reached puts it back to ``requested`` and raises
    :class:`RefundUnavailable` for the task to retry.
    """
    claimed = RefundRequest.objects.filter(
        pk=request_id, status=RefundRequest.Status.REQUESTED,
    ).update(status=RefundRequest.Status.SENT, updated_at=timezone.now())
    if not claimed:
        return None
    request = RefundRequest.objects.select_related("order", "payment").get(pk=request_id)
    provider = provider_of(request.order)
    if provider is None or not provider.supports_refunds:
        return fail_request(request_id, f"The payment provider {request.provider!r} "
                                        "takes no refund requests.")
    try:
        answer = provider.request_refund(
            order=request.order, payment=request.payment, amount=request.amount,
            reason=request.reason, idempotency_key=str(request.reference),
        )
    except RefundRejected as exc:
        logger.warning("%s refused %s: %s", request.provider, request, exc)
        return fail_request(request_id, str(exc) or "The payment provider refused the refund.")
    except RefundUnavailable:
        RefundRequest.objects.filter(pk=request_id, status=RefundRequest.Status.SENT).update(
            status=RefundRequest.Status.REQUESTED, updated_at=timezone.now())
        raise
    except Exception:
        logger.exception("Provider %s failed on %s", request.provider, request)
        return fail_request(request_id, "The payment provider failed unexpectedly. "
                                        "Nothing was refunded.")
    if answer.provider_refund_id:
        note_refund_id(request_id, answer.provider_refund_id)
    return RefundRequest.objects.get(pk=request_id).status  # type: ignore[return-value]


def fail_request(request_id: int, reason: str) -> RefundRequest.Status:
    """Mark a request the provider refused (or could not take) failed; its status after."""
    RefundRequest.objects.filter(
        pk=request_id, status__in=RefundRequest.OUTSTANDING,
    ).update(status=RefundRequest.Status.FAILED, failure_reason=reason[:255],
             updated_at=timezone.now())
    return RefundRequest.objects.get(pk=request_id).status  # type: ignore[return-value]


def note_refund_id(request_id: int, provider_refund_id: str) -> None:
    """Store the refund id the provider answered with; attach its refund if it landed first.

    Under the order's lock, like :func:`attach_refund`. A refund the webhook
    attached by amount to another outstanding request of the same amount is
    moved to this one (the other gets its own when its answer comes).
    """
    with transaction.atomic():
        order_id = RefundRequest.objects.values_list("order_id", flat=True).get(pk=request_id)
        Order.objects.select_for_update().filter(pk=order_id).first()
        request = RefundRequest.objects.get(pk=request_id)
        if request.provider_refund_id == provider_refund_id and request.refund_id:
            return  # the webhook found it already
        refund = (Refund.objects.filter(provider=request.provider,
                                        provider_refund_id=provider_refund_id)
                  .select_related("request").first())
        if refund is None:
            if request.status in RefundRequest.OUTSTANDING:
                request.provider_refund_id = provider_refund_id[:255]
                request.save(update_fields=["provider_refund_id", "updated_at"])
            return
        other = getattr(refund, "request", None)
        if other is not None and other.pk != request.pk:
            other.status, other.refund, other.provider_refund_id = (
                RefundRequest.Status.SENT, None, "")
            other.save(update_fields=["status", "refund", "provider_refund_id", "updated_at"])
        _succeed(request, refund)


def attach_refund(order: Order, refund: Refund) -> RefundRequest | None:
    """Mark the request ``refund`` answers succeeded (the caller holds ``order``'s lock).

    Called by ``record_refund`` for each new refund: the request with the
    refund's id, else the oldest outstanding one of the order for the same
    amount and currency whose refund id is not known yet. ``None`` when the
    refund was not asked for here (made in the provider's dashboard).
    """
    candidates = RefundRequest.objects.filter(order=order, provider=refund.provider,
                                              refund__isnull=True)
    request = candidates.filter(provider_refund_id=refund.provider_refund_id).first()
    if request is None:
        request = (candidates.filter(status__in=RefundRequest.OUTSTANDING, provider_refund_id="",
                                     amount=refund.amount, currency=refund.currency)
                   .order_by("created_at", "id").first())
    if request is None:
        return None
    _succeed(request, refund)
    return request


def _succeed(request: RefundRequest, refund: Refund) -> None:
    request.status = RefundRequest.Status.SUCCEEDED
    request.refund = refund
    request.provider_refund_id = refund.provider_refund_id
    request.failure_reason = ""
    request.save(update_fields=["status", "refund", "provider_refund_id", "failure_reason",
                                "updated_at"])
