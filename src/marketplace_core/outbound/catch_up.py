"""Catching up on money events whose after-commit hook never ran.

Core sends ``order.paid`` and ``order.refunded`` from its event hooks, which
run after the payment's or refund's transaction has committed (the payment
path stays within its query budget that way). A process killed between that
commit and the hook would lose the event. This sweep, a periodic task,
finds the orders paid and refunds recorded in the last :data:`WINDOW` (but
at least :data:`SETTLE` ago, so the normal path has had its turn) for each
active endpoint that chose the event, since that endpoint was created, and
emits what it has no delivery of. Deliveries are keyed by event
(:func:`~marketplace_core.outbound.services.event_id_for`, unique per
endpoint), so an event already sent, or sent by the hook a moment later, is
never sent twice. Safe to run twice or at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db.models import QuerySet
from django.utils import timezone

from marketplace_core.outbound import core_events
from marketplace_core.outbound.events import ORDER_PAID, ORDER_REFUNDED
from marketplace_core.outbound.models import OutboundDelivery, WebhookEndpoint
from marketplace_core.outbound.services import create_for_endpoint, event_id_for
from marketplace_core.ownership.models import Order, Payment, Refund

logger = logging.getLogger("marketplace_core.outbound")

CATCH_UP_TASK = "marketplace_core.catch_up_webhook_events"
#: How often the sweep runs, and how far back it looks.
CATCH_UP_EVERY_SECONDS = 300
WINDOW = dt.timedelta(hours=6)
#: Changes younger than this are left to the hook that is about to send them.
SETTLE = dt.timedelta(minutes=2)


def _known(endpoint: WebhookEndpoint, event_type: str, since: dt.datetime) -> set[str]:
    return set(OutboundDelivery.objects.filter(
        endpoint=endpoint, event_type=event_type, created_at__gte=since - SETTLE,
    ).values_list("event_id", flat=True))


def _orders(endpoint: WebhookEndpoint) -> QuerySet[Order]:
    return Order.objects.filter(product__seller_id=endpoint.seller_id).select_related(
        "product", "buyer", "discount_code")


def catch_up(now: dt.datetime | None = None) -> int:
    """Emit the ``order.paid`` and ``order.refunded`` events that active endpoints
    chose but have no delivery of; returns how many deliveries were made."""
    now = now or timezone.now()
    until = now - SETTLE
    made = 0
    endpoints = WebhookEndpoint.objects.filter(is_active=True).order_by("pk")
    for endpoint in endpoints.iterator(chunk_size=200):
        wanted = set(endpoint.events or ())
        since = max(now - WINDOW, endpoint.created_at)
        if since >= until:
            continue
        if ORDER_PAID in wanted:
            known = _known(endpoint, ORDER_PAID, since)
            for order in _orders(endpoint).filter(paid_at__gte=since, paid_at__lt=until):
                if event_id_for(core_events.order_paid_key(order)) in known:
                    continue
                payment = (Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED)
                           .order_by("created_at", "pk").first())
                if payment is not None:
                    made += create_for_endpoint(endpoint, ORDER_PAID,
                                                core_events.order_paid_data(order, payment),
                                                core_events.order_paid_key(order))
        if ORDER_REFUNDED in wanted:
            known = _known(endpoint, ORDER_REFUNDED, since)
            refunds = Refund.objects.filter(
                order__product__seller_id=endpoint.seller_id, created_at__gte=since,
                created_at__lt=until).select_related(
                "order", "order__product", "order__buyer", "order__discount_code")
            for refund in refunds:
                if event_id_for(core_events.order_refunded_key(refund)) in known:
                    continue
                made += create_for_endpoint(endpoint, ORDER_REFUNDED,
                                            core_events.order_refunded_data(refund.order, refund),
                                            core_events.order_refunded_key(refund))
    if made:
        logger.warning("Webhook catch-up sent %d event(s) whose hook had not run", made)
    return made


@shared_task(name=CATCH_UP_TASK)
def catch_up_events() -> int:
    """The periodic sweep (every :data:`CATCH_UP_EVERY_SECONDS`)."""
    return catch_up()
