"""Sending deliveries: one task per attempt, and a sweep for retries that are due.

Both are safe to run twice or at once: an attempt is claimed with a
conditional ``UPDATE`` first (:func:`marketplace_core.outbound.services.claim`).
Retries are not Celery countdowns (waits reach 10 hours, past the broker's
visibility timeout): the sweep, every :data:`SEND_DUE_EVERY_SECONDS`, queues
the deliveries whose next attempt is due.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import time

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace_core.conf import conf
from marketplace_core.outbound import services
from marketplace_core.outbound.destinations import resolve_destination
from marketplace_core.outbound.signing import signed_headers
from marketplace_core.outbound.transport import post

logger = logging.getLogger("marketplace_core.outbound")

SEND_TASK = "marketplace_core.send_webhook_delivery"
SEND_DUE_TASK = "marketplace_core.send_due_webhook_deliveries"
#: How often the sweep looks for due retries.
SEND_DUE_EVERY_SECONDS = 30


@shared_task(name=SEND_TASK, acks_late=True)
def send_delivery(delivery_id: int) -> str:
    """Make the next attempt of delivery ``delivery_id`` if it is due; returns
    ``"skipped"`` (not due, done, or claimed by another run), ``"succeeded"`` or
    ``"failed"``."""
    delivery = services.claim(delivery_id)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    started = timezone.now()
    clock = time.monotonic()
    status_code: int | None = None
    error = ""
    response = b""
    try:
        destination = resolve_destination(endpoint.url)
        body = services.body_of(delivery)
        headers = signed_headers(endpoint, delivery.event_id, body, timezone.now())
        answer = post(destination, body.encode(), headers,
                      connect_timeout=conf.WEBHOOKS_CONNECT_TIMEOUT,
                      read_timeout=conf.WEBHOOKS_READ_TIMEOUT)
        status_code, response = answer.status, answer.body
    except ValidationError as exc:
        error = "Refused: " + " ".join(str(m) for m in exc.messages)
    except TimeoutError:
        error = "Timed out"
    except ssl.SSLError as exc:
        error = f"TLS error: {exc.reason or exc}"
    except (OSError, http.client.HTTPException) as exc:
        error = f"Connection failed: {exc}"
    duration_ms = int((time.monotonic() - clock) * 1000)
    attempt = services.record_attempt(delivery, started_at=started, duration_ms=duration_ms,
                                      status_code=status_code, error=error, response=response)
    if attempt is None:
        return "skipped"  # the endpoint was deleted while the request was out
    if attempt.succeeded:
        return "succeeded"
    logger.info("Webhook delivery %s to endpoint %s failed: %s", delivery.event_id,
                endpoint.pk, attempt.outcome)
    return "failed"


@shared_task(name=SEND_DUE_TASK)
def send_due_deliveries() -> int:
    """Queue every delivery whose next attempt is due; returns how many."""
    ids = services.due_delivery_ids()
    for delivery_id in ids:
        send_delivery.delay(delivery_id)
    return len(ids)
