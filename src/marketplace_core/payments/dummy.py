"""A payment provider for development and tests that takes the real path.

Checkout sends the buyer to a local "hosted checkout" page with Pay and Fail
buttons. Pressing one makes the provider send a Standard Webhooks-signed
delivery over HTTP to the site's generic webhook endpoint, exactly as a real
provider would; only that delivery changes the order. A system check warns
when it is enabled with ``DEBUG`` off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from marketplace_core.conf import conf
from marketplace_core.payments import signing as webhook_signing
from marketplace_core.payments.providers import (
    CheckoutSession,
    EventKind,
    InvalidWebhookEvent,
    ParsedDelivery,
    PaymentProvider,
    RefundRejected,
    RefundRequested,
    WebhookEvent,
    WebhookVerificationError,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.ownership.models import Order, Payment

CHECKOUT_SALT = "marketplace_core.dummy_checkout"
#: How long a dummy checkout page link stays valid.
CHECKOUT_MAX_AGE = 24 * 3600

EVENT_KINDS = {
    "payment.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment.failed": EventKind.PAYMENT_FAILED,
    "payment.processing": EventKind.PAYMENT_PROCESSING,
    "refund.succeeded": EventKind.REFUND_SUCCEEDED,
    **{
        f"dispute.{status}": EventKind.DISPUTE
        for status in ("opened", "challenged", "accepted", "cancelled", "expired", "won", "lost")
    },
}


def webhook_secret() -> str:
    """The configured secret, or one derived from ``SECRET_KEY`` (stable per site)."""
    if conf.DUMMY_WEBHOOK_SECRET:
        return conf.DUMMY_WEBHOOK_SECRET
    key = settings.SECRET_KEY
    digest = hmac.new(
        key.encode() if isinstance(key, str) else key,
        b"marketplace_core.dummy_webhook",
        hashlib.sha256,
    ).digest()
    return "whsec_" + base64.b64encode(digest).decode()


def build_delivery(event_type: str, data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A signed delivery (body, headers) as the dummy provider sends it."""
    body = json.dumps({"type": event_type, "data": data}, separators=(",", ":")).encode()
    headers = webhook_signing.sign(webhook_secret(), f"msg_{uuid.uuid4().hex}", body)
    return body, headers


def read_checkout_token(token: str) -> dict[str, str]:
    """The checkout a dummy page token stands for; raises ``signing.BadSignature``."""
    payload = signing.loads(token, salt=CHECKOUT_SALT, max_age=CHECKOUT_MAX_AGE)
    if not isinstance(payload, dict) or not {"order", "session"} <= payload.keys():
        raise signing.BadSignature("Malformed checkout token.")
    return payload


class DummyProvider(PaymentProvider):
    """Pretend payments: a local checkout page and signed webhooks back to the site."""

    identifier = "dummy"
    verbose_name = "Test payment (no money moves)"
    billing_fields = ("name", "email", "country")
    supports_refunds = True
    supports_partial_refunds = True

    def accepts_webhooks(self) -> bool:
        """Only while it is the active provider or ``DEBUG`` is on: its secret is
        derived from ``SECRET_KEY`` and its "payments" move no money."""
        return self.identifier == conf.PAYMENT_PROVIDER or bool(settings.DEBUG)

    def start_checkout(self, request: HttpRequest, order: Order) -> CheckoutSession:
        session_id = f"dummy_cs_{uuid.uuid4().hex}"
        token = signing.dumps(
            {"order": str(order.reference), "session": session_id}, salt=CHECKOUT_SALT
        )
        url = reverse("marketplace:dummy_checkout", kwargs={"token": token})
        return CheckoutSession(
            redirect_url=request.build_absolute_uri(url), provider_checkout_id=session_id
        )

    def request_refund(
        self, *, order: Order, payment: Payment, amount: int, reason: str,
        idempotency_key: str,
    ) -> RefundRequested:
        """"Refund" at once: queue a signed ``refund.succeeded`` delivery to the site.

        The refund id is derived from ``idempotency_key``, so a repeated call
        sends the same refund (core records it once). The delivery goes to
        ``SITE_URL``, else to the address the buyer checked out at.
        """
        from marketplace_core.payments.tasks import deliver_dummy_webhook

        base_url = conf.SITE_URL or order.site_url
        if not base_url:
            raise RefundRejected("The dummy provider needs MARKETPLACE['SITE_URL'] to send "
                                 "its refund webhook.")
        refund_id = f"dummy_ref_{uuid.UUID(idempotency_key).hex}"
        body, headers = build_delivery("refund.succeeded", {
            "order_reference": str(order.reference),
            "payment_id": payment.provider_payment_id,
            "refund_id": refund_id,
            "amount": amount,
            "currency": order.currency,
            "reason": reason,
        })
        url = base_url.rstrip("/") + reverse("marketplace:payment_webhook",
                                             kwargs={"provider": self.identifier})
        deliver_dummy_webhook.delay(url, body.decode(), headers)
        return RefundRequested(provider_refund_id=refund_id)

    def parse_webhook(self, request: HttpRequest) -> ParsedDelivery:
        """Verify the raw body, then read ``{"type": ..., "data": {...}}``.

        ``data`` holds ``order_reference``, ``payment_id`` (payment events),
        ``refund_id`` (refund events), ``dispute_id`` (``dispute.<status>``
        events), ``amount`` (an integer of minor units), ``currency`` and an
        optional ``reason``. A verified body without the ids its event type
        needs, or with an amount, currency or reason of the wrong JSON type,
        is rejected like an unverifiable one. Other event types are read by
        their type alone.
        """
        headers = webhook_signing.request_headers(request.META)
        payload = webhook_signing.verify(request.body, headers, [webhook_secret()])
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise WebhookVerificationError("body must be an object with 'type' and 'data'")
        event_type = payload.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise WebhookVerificationError("'type' must be a non-empty string")
        data: dict[str, Any] = payload["data"]
        kind = EVENT_KINDS.get(event_type, EventKind.IGNORED)
        delivery_id = headers[webhook_signing.HEADER_ID]
        if kind == EventKind.IGNORED:
            return ParsedDelivery(delivery_id, [WebhookEvent(kind, event_type, data=data)])
        required = _REQUIRED_IDS[kind]
        missing = [name for name in required if not _text(data.get(name))]
        if missing:
            raise InvalidWebhookEvent(f"{event_type} needs {', '.join(missing)}")
        amount = data.get("amount")
        # bool is an int subclass: ``true`` is not an amount.
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
            raise InvalidWebhookEvent(f"{event_type}: amount must be an integer, "
                                      f"not {type(amount).__name__}")
        currency, reason = data.get("currency") or "", data.get("reason") or ""
        if not isinstance(currency, str) or not isinstance(reason, str):
            raise InvalidWebhookEvent(f"{event_type}: currency and reason must be strings")
        event = WebhookEvent(
            kind=kind,
            event_type=event_type,
            order_reference=_text(data.get("order_reference")) or None,
            provider_payment_id=_text(data.get("payment_id")),
            provider_refund_id=_text(data.get("refund_id")),
            provider_dispute_id=_text(data.get("dispute_id")),
            dispute_status=event_type.removeprefix("dispute.") if kind == EventKind.DISPUTE else "",
            amount=amount,
            currency=currency,
            reason=reason,
            data=data,
        )
        return ParsedDelivery(delivery_id=delivery_id, events=[event])


#: Ids each kind of event must carry.
_REQUIRED_IDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.PAYMENT_SUCCEEDED: ("order_reference", "payment_id"),
    EventKind.PAYMENT_FAILED: ("order_reference", "payment_id"),
    EventKind.PAYMENT_PROCESSING: ("order_reference", "payment_id"),
    EventKind.REFUND_SUCCEEDED: ("order_reference", "refund_id"),
    EventKind.DISPUTE: ("dispute_id",),  # core finds the order by payment_id
}


def _text(value: Any) -> str:
    """A JSON string or number as text; anything else (objects, lists, null) as ``""``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
