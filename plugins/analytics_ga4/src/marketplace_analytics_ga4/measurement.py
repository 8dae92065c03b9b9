"""GA4 Measurement Protocol: the server-side ``purchase`` and ``refund`` events.

A payment confirmed sends ``purchase`` (transaction id = the order reference,
value, currency, the product as the item); a refund sends ``refund`` with the
refunded amount. Each is sent once: :class:`~.models.SentEvent` holds a row per
event, locked while it is sent and marked when GA took it, so a repeated hook
call or a re-delivered task sends nothing more. (If a worker dies between
GA's answer and the mark, the event is sent again: GA drops a ``purchase``
whose transaction id it already has.)

The client id is the one of the buyer's browser (``_ga`` cookie) captured at
checkout (the ``checkout_started`` hook, :mod:`.browser`); without it, a
pseudonymous id derived from the order reference, stable across retries.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone

from marketplace_analytics_ga4.conf import conf
from marketplace_analytics_ga4.models import CheckoutClient, SentEvent
from marketplace_core.money import to_decimal
from marketplace_core.ownership.models import Order, Refund

logger = logging.getLogger("marketplace_analytics_ga4")

#: GA accepts events back-dated by up to 72 hours; older ones are sent without a timestamp.
MAX_BACKDATE_SECONDS = 72 * 3600


class SendError(RuntimeError):
    """GA could not be reached or answered an error (worth retrying)."""


def fallback_client_id(order: Order) -> str:
    """A GA-shaped client id (``<number>.<seconds>``) derived from the order reference."""
    digest = int(hashlib.sha256(order.reference.bytes).hexdigest()[:12], 16) % 10**10
    return f"{digest}.{int(order.created_at.timestamp())}"


def client_id_for(order: Order) -> str:
    captured = (CheckoutClient.objects.filter(order_reference=order.reference)
                .values_list("client_id", flat=True).first())
    return captured or fallback_client_id(order)


def _item(order: Order, amount: int) -> dict[str, Any]:
    return {"item_id": str(order.product_id), "item_name": order.product.title[:100],
            "price": float(to_decimal(amount, order.currency)), "quantity": 1}


def purchase_payload(order: Order) -> dict[str, Any]:
    return _payload(order, "purchase", order.amount, order.paid_at)


def refund_payload(refund: Refund) -> dict[str, Any]:
    return _payload(refund.order, "refund", refund.amount, refund.created_at)


def _payload(order: Order, name: str, amount: int, when: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "client_id": client_id_for(order),
        "events": [{"name": name, "params": {
            "transaction_id": str(order.reference),
            "value": float(to_decimal(amount, order.currency)),
            "currency": order.currency,
            "items": [_item(order, amount)],
        }}],
    }
    if when is not None and (timezone.now() - when).total_seconds() < MAX_BACKDATE_SECONDS:
        payload["timestamp_micros"] = int(when.timestamp() * 1_000_000)
    return payload


def post(payload: dict[str, Any]) -> None:
    """Send ``payload`` to the Measurement Protocol; :class:`SendError` when it fails."""
    try:
        response = requests.post(
            conf.MP_ENDPOINT, params={"measurement_id": conf.MEASUREMENT_ID,
                                      "api_secret": conf.API_SECRET},
            json=payload, timeout=conf.MP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise SendError(f"the Measurement Protocol could not be reached: {exc}") from exc
    if response.status_code >= 300:
        raise SendError(f"the Measurement Protocol answered {response.status_code}")


def send_once(kind: str, key: str, build: Any) -> bool:
    """Send the event ``build()`` makes unless ``(kind, key)`` was sent; ``True`` if sent now.

    The row is locked while sending, so of two tasks for one event the second
    waits and then finds it sent.
    """
    with transaction.atomic():
        event, _ = SentEvent.objects.select_for_update().get_or_create(kind=kind, key=key)
        if event.sent_at is not None:
            return False
        post(build())
        event.sent_at = timezone.now()
        event.save(update_fields=["sent_at"])
    return True
