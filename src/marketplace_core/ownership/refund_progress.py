"""How a seller's refund request moves on: sent to its provider, then matched with its refund.

:func:`send_refund_request` (run by the Celery task
``marketplace_core.send_refund_request``) asks the order's provider
(:meth:`~marketplace_core.payments.providers.PaymentProvider.request_refund`);
:func:`attach_refund`, called by
:func:`~marketplace_core.ownership.services.record_refund` for every new refund,
marks the request that refund answers succeeded. Requests are made in
:mod:`marketplace_core.ownership.refund_requests`.

The provider's answer and its webhook may arrive in either order (and the
webhook more than once); every ordering ends with one ``Refund`` row and the
request succeeded:

- the answer first: it stores the refund id on the request, and the webhook
  finds the request by that id;
- the webhook first: it takes the oldest outstanding request of the order for
  the same amount, and the answer (:func:`note_refund_id`) then finds its
  refund already attached (or moves it over from another request of the
  same amount);
- the webhook again: ``record_refund`` ignores a refund id it already has.

Every writer here locks the order row, as ``record_refund`` does.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from marketplace_core.ownership.models import Order, Refund, RefundRequest
from marketplace_core.payments.providers import (
    PaymentProvider,
    RefundRejected,
    RefundUnavailable,
)
from marketplace_core.plugins.registry import payment_provider

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
