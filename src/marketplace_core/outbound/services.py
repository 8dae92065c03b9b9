"""Every change to webhook endpoints and deliveries (docs/webhooks-outbound.md).

:func:`emit` is the one way to send an event: it creates one delivery per
matching active endpoint of the seller inside the caller's transaction and
queues the sending once it commits. Attempts are claimed with a conditional
``UPDATE`` (:func:`claim`) so that a task run twice, or by two workers, sends
once; a dead worker's claim expires after :data:`CLAIM_TIMEOUT` and the
periodic sweep tries again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from marketplace_core.exceptions import Rejected
from marketplace_core.outbound.events import TEST_EVENT, event_types
from marketplace_core.outbound.models import (
    EXCERPT_LENGTH,
    OutboundAttempt,
    OutboundDelivery,
    WebhookEndpoint,
)
from marketplace_core.outbound.signing import ROTATION_OVERLAP, new_secret
from marketplace_core.prepared import prepared
from marketplace_core.transactions import after_commit

#: Waits after each failed attempt: 12 attempts over about 2.8 days, then the
#: delivery fails (docs/webhooks-outbound.md#retries).
RETRY_SCHEDULE = tuple(dt.timedelta(seconds=s) for s in (
    5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600, 10 * 3600, 10 * 3600,
    10 * 3600, 10 * 3600,
))
#: A claimed attempt not finished after this is taken as lost (its worker died).
CLAIM_TIMEOUT = dt.timedelta(minutes=5)


def event_id_for(key: str | None) -> str:
    """A ``msg_...`` id: derived from ``key`` (the same event emitted twice gets the
    same id, so it is delivered once), or random without one."""
    if key:
        return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return "msg_" + secrets.token_hex(16)


def payload_for(event_type: str, data: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The JSON body of a delivery (Standard Webhooks' recommended envelope)."""
    return {"type": event_type, "timestamp": now.isoformat(), "data": dict(data)}


def body_of(delivery: OutboundDelivery) -> str:
    """The exact text sent (and signed) for ``delivery``."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)


def emit(seller: Any, event_type: str,
         data: Mapping[str, Any] | Callable[[], Mapping[str, Any]], *,
         key: str | None = None) -> list[OutboundDelivery]:
    """Send event ``event_type`` with ``data`` to ``seller``'s active endpoints that
    chose it; returns the deliveries created. ``seller`` is a user, its primary
    key, or a query expression giving it (a ``Subquery``).

    Runs in the caller's transaction (its own when there is none) and queues
    the sending after commit: nothing is sent for a rolled-back change.
    ``key`` names the event (``"order.paid:42"``): emitting the same key again
    creates nothing. ``data`` must be JSON-serializable; pass a function
    returning it to build it only when some endpoint wants the event (the
    usual case is none: one query, for the endpoints). Raises ``ValueError``
    for an event type nobody registered.
    """
    if event_type not in event_types():
        raise ValueError(f"No webhook event type {event_type!r} is registered.")
    seller_id = getattr(seller, "pk", seller)
    endpoints = [endpoint for endpoint in _active_endpoints(seller_id)
                 if event_type in (endpoint.events or [])]
    if not endpoints:
        return []
    payload = data() if callable(data) else data
    return _create(endpoints, event_type, payload, event_id_for(key))


def _active_endpoints(seller_id: Any) -> list[WebhookEndpoint]:
    """``seller_id``'s active endpoints: a query compiled once per process (every
    paid order asks it, usually to find none), unless ``seller_id`` is a query
    expression."""
    def build(key: Any) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.filter(seller_id=key, is_active=True)

    query = None
    if isinstance(seller_id, int):
        query = prepared(("active endpoints", WebhookEndpoint.objects.all().db), build,
                         WebhookEndpoint._meta.get_field("seller"), 0)
    return query.all(seller_id) if query is not None else list(build(seller_id))


def send_test_event(endpoint: WebhookEndpoint) -> OutboundDelivery:
    """Queue a ``webhook.test`` event to ``endpoint`` (active or not, subscribed or not)."""
    data = {"endpoint_id": endpoint.pk, "message": "This is a test event from Marketplace."}
    return _create([endpoint], TEST_EVENT, data, event_id_for(None))[0]


def create_for_endpoint(endpoint: WebhookEndpoint, event_type: str, data: Mapping[str, Any],
                        key: str) -> int:
    """Deliver event ``key`` to ``endpoint`` alone unless it has it already (the
    catch-up sweep); 1 when a delivery was made, else 0. Sent after commit."""
    return len(_create([endpoint], event_type, data, event_id_for(key)))


def _create(endpoints: list[WebhookEndpoint], event_type: str, data: Mapping[str, Any],
            event_id: str) -> list[OutboundDelivery]:
    now = timezone.now()
    payload = payload_for(event_type, data, now)
    created: list[OutboundDelivery] = []
    with transaction.atomic():
        for endpoint in endpoints:
            # A savepoint each: a duplicate (the same key emitted twice) is skipped alone.
            delivery, new = OutboundDelivery.objects.get_or_create(
                endpoint=endpoint, event_id=event_id,
                defaults={"event_type": event_type, "payload": payload, "next_attempt_at": now})
            if new:
                created.append(delivery)
                after_commit(queue_sending, delivery.pk)
    return created


def queue_sending(delivery_id: int) -> None:
    """Queue the Celery task that sends delivery ``delivery_id`` (a broker outage is
    logged by :func:`after_commit`; the periodic sweep sends it later)."""
    from marketplace_core.outbound.tasks import send_delivery

    send_delivery.delay(delivery_id)


def claim(delivery_id: int, now: dt.datetime | None = None) -> OutboundDelivery | None:
    """Take the next attempt of delivery ``delivery_id``, or ``None`` when it is not
    due, succeeded, gave up, or another run holds it. One conditional ``UPDATE``:
    of two runs at once exactly one gets it."""
    now = now or timezone.now()
    due = Q(status=OutboundDelivery.Status.PENDING, next_attempt_at__lte=now)
    lost = Q(status=OutboundDelivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    taken = OutboundDelivery.objects.filter(due | lost, pk=delivery_id).update(
        status=OutboundDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1,
        updated_at=now)
    if not taken:
        return None
    return OutboundDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def record_attempt(delivery: OutboundDelivery, *, started_at: dt.datetime,
                   duration_ms: int, status_code: int | None = None, error: str = "",
                   response: bytes = b"") -> OutboundAttempt | None:
    """Log attempt ``delivery.attempts`` (the one :func:`claim` gave) and move the
    delivery on: done after a 2xx, else due again per :data:`RETRY_SCHEDULE`, or
    failed once the schedule is used up (which disables an endpoint that has not
    succeeded since it started failing, and emails its seller once). ``None`` when
    the delivery was deleted meanwhile (its endpoint was)."""
    now = timezone.now()
    number = delivery.attempts
    ok = status_code is not None and 200 <= status_code < 300
    disabled = False
    with transaction.atomic():
        current = OutboundDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
        if current is None:
            return None
        attempt, _new = OutboundAttempt.objects.get_or_create(
            delivery=current, number=number,
            defaults={"started_at": started_at, "status_code": status_code,
                      "error": error[:255], "duration_ms": max(duration_ms, 0),
                      "response_excerpt": response.decode("utf-8", "replace")[:EXCERPT_LENGTH]})
        if current.status != OutboundDelivery.Status.SENDING or current.attempts != number:
            return attempt  # a newer claim owns the delivery now
        endpoint = WebhookEndpoint.objects.filter(pk=current.endpoint_id)
        if ok:
            current.status, current.next_attempt_at = OutboundDelivery.Status.SUCCEEDED, None
            endpoint.update(failing_since=None)
        else:
            endpoint.filter(failing_since__isnull=True).update(failing_since=started_at)
            step = number - current.schedule_start - 1
            if step < len(RETRY_SCHEDULE):
                current.status = OutboundDelivery.Status.PENDING
                current.next_attempt_at = now + RETRY_SCHEDULE[step]
            else:
                current.status, current.next_attempt_at = OutboundDelivery.Status.FAILED, None
                disabled = bool(endpoint.filter(is_active=True, failing_since__isnull=False)
                                .update(is_active=False, updated_at=now,
                                        disabled_reason=_disabled_reason(attempt)))
        current.claimed_at = None
        current.save(update_fields=["status", "next_attempt_at", "claimed_at", "updated_at"])
        if disabled:
            from marketplace_core.outbound.notices import notify_endpoint_disabled

            notify_endpoint_disabled(current.endpoint_id, attempt.pk)
    return attempt


def _disabled_reason(attempt: OutboundAttempt) -> str:
    return (f"Turned off on {timezone.now():%Y-%m-%d}: every delivery failed for about "
            f"3 days (last answer: {attempt.outcome}).")[:255]


def resend(delivery: OutboundDelivery) -> None:
    """Send ``delivery`` again now, with a fresh retry schedule (the same ``webhook-id``).

    Rejected (``sending``) while an attempt is in progress.
    """
    now = timezone.now()
    updated = OutboundDelivery.objects.filter(pk=delivery.pk).exclude(
        status=OutboundDelivery.Status.SENDING).update(
        status=OutboundDelivery.Status.PENDING, next_attempt_at=now,
        schedule_start=F("attempts"), updated_at=now)
    if not updated:
        raise Rejected("This delivery is being sent right now; try again in a moment.",
                       code="sending")
    after_commit(queue_sending, delivery.pk)


def create_endpoint(seller: Any, *, url: str, description: str, events: list[str]
                    ) -> WebhookEndpoint:
    """A new active endpoint of ``seller`` with a new secret (``url`` already checked)."""
    return WebhookEndpoint.objects.create(seller=seller, url=url, description=description,
                                          events=sorted(set(events)), secret=new_secret())


def update_endpoint(endpoint: WebhookEndpoint, *, url: str, description: str,
                    events: list[str], is_active: bool) -> WebhookEndpoint:
    """Save the seller's changes; turning an endpoint back on clears why it was off."""
    endpoint.url, endpoint.description = url, description
    endpoint.events = sorted(set(events))
    if is_active and not endpoint.is_active:
        endpoint.disabled_reason, endpoint.failing_since = "", None
    endpoint.is_active = is_active
    endpoint.save()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Give ``endpoint`` a new secret; the old one keeps signing for 24 hours."""
    with transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        current.previous_secret = current.secret
        current.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
        current.secret = new_secret()
        current.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at",
                                    "updated_at"])
    return current


def due_delivery_ids(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries of active endpoints whose next attempt is due, or whose claim was lost."""
    now = now or timezone.now()
    due = Q(status=OutboundDelivery.Status.PENDING, next_attempt_at__lte=now)
    lost = Q(status=OutboundDelivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return list(OutboundDelivery.objects.filter(due | lost, endpoint__is_active=True)
                .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
