"""Celery tasks: the traffic refresh (periodic) and the Measurement Protocol events.

All idempotent: the refresh overwrites cache entries, and an event is sent
once whatever the number of runs (:func:`~.measurement.send_once`). Sending
retries with backoff while GA cannot be reached.
"""

from __future__ import annotations

from celery import shared_task

from marketplace_analytics_ga4.conf import conf
from marketplace_analytics_ga4.measurement import (
    SendError,
    purchase_payload,
    refund_payload,
    send_once,
)
from marketplace_core.ownership.models import Order, Refund

REFRESH_TASK = "analytics_ga4.refresh_traffic"
PURCHASE_TASK = "analytics_ga4.send_purchase"
REFUND_TASK = "analytics_ga4.send_refund"
_RETRY = {"autoretry_for": (SendError,), "retry_backoff": 5, "retry_backoff_max": 600,
          "max_retries": 8, "acks_late": True, "ignore_result": True}


@shared_task(name=REFRESH_TASK, ignore_result=True)
def refresh_traffic() -> int:
    """Fetch again the traffic sellers looked at this week; return how many were refreshed."""
    from marketplace_analytics_ga4.traffic import refresh_wanted

    return refresh_wanted()


@shared_task(name=PURCHASE_TASK, **_RETRY)
def send_purchase(order_id: int) -> bool:
    """Send the ``purchase`` event of a paid order once; ``True`` if sent by this run."""
    if not conf.sends_events:
        return False
    order = Order.objects.select_related("product").filter(pk=order_id).first()
    if order is None or order.paid_at is None:
        return False
    return send_once("purchase", str(order.reference), lambda: purchase_payload(order))


@shared_task(name=REFUND_TASK, **_RETRY)
def send_refund(refund_id: int) -> bool:
    """Send the ``refund`` event of a refund once; ``True`` if sent by this run."""
    if not conf.sends_events:
        return False
    refund = Refund.objects.select_related("order__product").filter(pk=refund_id).first()
    if refund is None:
        return False
    return send_once("refund", str(refund.pk), lambda: refund_payload(refund))
