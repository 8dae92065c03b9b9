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

import re
from typing import Any

from marketplace_core.payments.providers import (
    EventKind,
    InvalidWebhookEvent,
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
    event, and :class:`InvalidWebhookEvent` for a handled event without the
    ids it needs or with a field of the wrong JSON type (an amount that is not
    an integer or a string of ASCII digits, a currency that is not a string).
    Core then checks the values themselves (``validate_event``).
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
    fields = _Fields(data, event_type)
    payment_id = fields.required("payment_id")
    raw_metadata = data.get("metadata")
    metadata = raw_metadata if isinstance(raw_metadata, dict) else {}
    # Metadata is the merchant's own free-form data: anything but text is no reference.
    reference = metadata.get(ORDER_REFERENCE_KEY)
    reference = reference if isinstance(reference, str) and reference else None
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
            amount=fields.amount("total_amount"),
            currency=fields.text("currency"),
            reason=fields.text("error_message") or fields.text("error_code")
            or ("cancelled" if event_type == "payment.cancelled" else ""),
        )
    if kind == EventKind.REFUND_SUCCEEDED:
        return WebhookEvent(
            kind=kind,
            event_type=event_type,
            order_reference=reference,
            provider_payment_id=payment_id,
            provider_refund_id=fields.required("refund_id"),
            amount=fields.amount("amount"),
            currency=fields.text("currency"),
            reason=fields.text("reason"),
        )
    status = fields.text("dispute_status").removeprefix("dispute_")
    return WebhookEvent(
        kind=kind,
        event_type=event_type,
        order_reference=reference,
        provider_payment_id=payment_id,
        provider_dispute_id=fields.required("dispute_id"),
        dispute_status=status or event_type.removeprefix("dispute."),
        # Dodo sends dispute amounts as strings of minor units ("400").
        amount=fields.amount("amount", digits=True),
        currency=fields.text("currency"),
        reason=fields.text("reason") or fields.text("remarks"),
    )


#: An amount Dodo sends as a string: ASCII digits, no more than fit a 64-bit integer.
_DIGITS = re.compile(r"[0-9]{1,18}")


class _Fields:
    """Typed reads of an event's ``data``; a wrong JSON type is an invalid event."""

    def __init__(self, data: dict[str, Any], event_type: str) -> None:
        self.data = data
        self.event_type = event_type

    def _refuse(self, name: str, problem: str) -> InvalidWebhookEvent:
        return InvalidWebhookEvent(f"{self.event_type}: data.{name} {problem}")

    def required(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not value:
            raise self._refuse(name, "is missing or not a string")
        return value

    def text(self, name: str) -> str:
        """A string field Dodo may leave out or send as ``null`` (then ``""``)."""
        value = self.data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._refuse(name, f"is a {type(value).__name__}, not a string")
        return value

    def amount(self, name: str, *, digits: bool = False) -> int | None:
        """Minor units as a JSON integer (or, with ``digits``, a string of digits
        as Dodo sends dispute amounts); ``None`` when absent."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if digits and isinstance(value, str) and _DIGITS.fullmatch(value):
            return int(value)
        raise self._refuse(name, f"{str(value)[:40]!r} is not an amount in minor units")
