"""Background work on orders."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplace_core.ownership import refund_progress
from marketplace_core.ownership.services import expire_pending_orders as expire
from marketplace_core.payments.providers import RefundUnavailable

logger = logging.getLogger("marketplace_core.ownership")

#: The task's name, as the periodic schedule names it.
EXPIRE_TASK = "marketplace_core.expire_pending_orders"


@shared_task(name=EXPIRE_TASK)
def expire_pending_orders() -> int:
    """Expire abandoned checkouts (one ``UPDATE``: safe to run twice or at once)."""
    count = expire()
    if count:
        logger.info("Expired %s pending order(s)", count)
    return count


#: Retries of a refund request whose provider cannot be reached (backoff up to an hour).
REFUND_RETRIES = 8


@shared_task(name="marketplace_core.send_refund_request", bind=True, acks_late=True,
             max_retries=REFUND_RETRIES)
def send_refund_request(self, request_id: int) -> str:  # type: ignore[no-untyped-def]
    """Ask the provider for a seller's refund request (see
    :func:`marketplace_core.ownership.refund_progress.send_refund_request`).

    Safe to run twice: only one run calls the provider. When the provider cannot
    be reached it is retried with backoff; after the last try the request fails.
    """
    try:
        status = refund_progress.send_refund_request(request_id)
    except RefundUnavailable as exc:
        if self.request.retries >= REFUND_RETRIES:
            logger.error("Refund request %s: provider unreachable, giving up: %s",
                         request_id, exc)
            return refund_progress.fail_request(request_id, refund_progress.UNREACHABLE_REASON)
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2 ** self.request.retries)) from exc
    return status or "already_sent"
