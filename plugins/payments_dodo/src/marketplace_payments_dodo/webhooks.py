"""Dodo's webhook payloads, read into core's normalized events.

Dodo sends ``{"business_id", "type", "timestamp", "data"}`` where ``data`` is a
payment (``payment.*``), a refund (``refund.*``) or a dispute (``dispute.*``),
in the shapes of Dodo's OpenAPI description. Only verified bodies reach this
module (see :meth:`marketplace_payments_dodo.provider.DodoProvider.parse_webhook`).

=========================  ==========================  ===================================
Dodo event type            core event                  notes
=========================  ==========================  ===================================
``payment.succeeded``      payment succeeded           amount: ``total_amount``
``payment.failed``         payment failed              reason: ``error_message``
``payment.cancelled``      payment failed              the buyer may start again
``payment.processing``     payment processing          never downgrades a paid order
``refund.succeeded``       refund succeeded            order found through the payment
``dispute.<status>``       dispute                     status from ``dispute_status``
anything else              ignored                     acknowledged (200) and logged
=========================  ==========================  ===================================

A payment whose metadata carries no order reference was not started by this
site (another integration on the same Dodo account): it is ignored.
"""

from __future__ import annotations

from typing import Any

from marketplace_core.payments.providers import (
    EventKind,
    WebhookEvent,
    WebhookVerificationError,
)
from marketplace_payments_dodo.client import ORDER_REFERENCE_KEY

EVENT_KINDS: dict[str, EventKind] = {
    "payment.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment.failed": EventKind.PAYMENT_FAILED,
    "payment.cancelled": EventKind.PAYMENT_FAILED,
    "payment.processing": EventKind.PAYMENT_PROCESSING,
    "refund.succeeded": EventKind.REFUND_SUCCEEDED,
    **{
        f"dispute.{status}": EventKind.DISPUTE
        for status in ("opened", "challenged", "accepted", "cancelled", "expired", "won", "lost")
    },
}

_PAYMENT_KINDS = (EventKind.PAYMENT_SUCCEEDED, EventKind.PAYMENT_FAILED,
                  EventKind.PAYMENT_PROCESSING)


def parse_event(payload: Any) -> WebhookEvent:
    """The normalized event of a verified Dodo payload.

    Raises :class:`WebhookVerificationError` for a body that is not a Dodo
    event, or a handled event without the ids it needs.
    """
    if not isinstance(payload, dict):
        raise WebhookVerificationError("body is not a JSON object")
    event_type = payload.get("type")
    data = payload.get("data")
    if not isinstance(event_type, str) or not event_type or not isinstance(data, dict):
        raise WebhookVerificationError("body needs a 'type' string and a 'data' object")
    kind = EVENT_KINDS.get(event_type, EventKind.IGNORED)
    if kind == EventKind.IGNORED:
        return WebhookEvent(kind=kind, event_type=event_type)
    payment_id = _required(data, "payment_id", event_type)
    raw_metadata = data.get("metadata")
    metadata = raw_metadata if isinstance(raw_metadata, dict) else {}
    reference = _text(metadata.get(ORDER_REFERENCE_KEY)) or None
    if kind in _PAYMENT_KINDS:
        if reference is None:
            return WebhookEvent(kind=EventKind.IGNORED, event_type=event_type,
                                provider_payment_id=payment_id,
                                reason="payment not started by this site")
        return WebhookEvent(
            kind=kind,
            event_type=event_type,
            order_reference=reference,
            provider_payment_id=payment_id,
            amount=_int(data.get("total_amount")),
            currency=_text(data.get("currency")),
            reason=_text(data.get("error_message")) or _text(data.get("error_code"))
            or ("cancelled" if event_type == "payment.cancelled" else ""),
        )
    if kind == EventKind.REFUND_SUCCEEDED:
        return WebhookEvent(
            kind=kind,
            event_type=event_type,
            order_reference=reference,
            provider_payment_id=payment_id,
            provider_refund_id=_required(data, "refund_id", event_type),
            amount=_int(data.get("amount")),
            currency=_text(data.get("currency")),
            reason=_text(data.get("reason")),
        )
    status = _text(data.get("dispute_status")).removeprefix("dispute_")
    return WebhookEvent(
        kind=kind,
        event_type=event_type,
        order_reference=reference,
        provider_payment_id=payment_id,
        provider_dispute_id=_required(data, "dispute_id", event_type),
        dispute_status=status or event_type.removeprefix("dispute."),
        # Dodo sends dispute amounts as strings of minor units ("400").
        amount=_int(data.get("amount")),
        currency=_text(data.get("currency")),
        reason=_text(data.get("reason")) or _text(data.get("remarks")),
    )


def _required(data: dict[str, Any], name: str, event_type: str) -> str:
    value = _text(data.get(name))
    if not value:
        raise WebhookVerificationError(f"{event_type} needs data.{name}")
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    """An amount in minor units: a JSON integer, or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
