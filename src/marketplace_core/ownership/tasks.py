"""Background work on orders."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplace_core.ownership.services import expire_pending_orders as expire

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
