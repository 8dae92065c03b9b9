"""Background work of the payments package."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from celery import shared_task

logger = logging.getLogger("marketplace_core.payments")


@shared_task(
    bind=True,
    autoretry_for=(urllib.error.URLError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_dummy_webhook(self, url: str, body: str, headers: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    """POST a signed dummy-provider delivery to ``url``; retried like a provider would.

    Only the dummy provider uses this (real providers deliver from their own
    servers). Raises on a non-2xx answer so Celery retries with backoff.
    """
    request = urllib.request.Request(  # noqa: S310 - the URL is our own webhook endpoint
        url,
        data=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        status: int = response.status
    logger.info("Dummy webhook delivered to %s: %s", url, status)
    return status
