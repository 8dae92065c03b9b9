"""Background work of the support plugin: the buyer's email."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplace_support.emails import send_status_email
from marketplace_support.models import SupportRequest

logger = logging.getLogger("support")


@shared_task(
    name="support.email_buyer",
    # SMTP errors are OSErrors: back off 10 s, 20 s, 40 s ... up to 10 min, 6 times.
    autoretry_for=(OSError,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    acks_late=True,
)
def email_buyer(support_request_id: int, version: int, site_url: str) -> bool:
    """Email the buyer the request's current state, unless it was already emailed.

    Idempotent: the row records the last version emailed, claimed before
    sending, so a redelivered or an older task sends nothing. Returns whether
    an email was sent.
    """
    support_request = (
        SupportRequest.objects.select_related("purchase__product", "purchase__buyer")
        .filter(pk=support_request_id).first()
    )
    if support_request is None or support_request.notified_version >= version:
        return False
    previous = support_request.notified_version
    claimed = SupportRequest.objects.filter(
        pk=support_request.pk, version=support_request.version, notified_version=previous
    ).update(notified_version=support_request.version)
    if not claimed:
        return False  # changed meanwhile: the task of the newer change emails it
    try:
        send_status_email(support_request, site_url)
    except Exception:
        # Give the claim back so the retry (or the next change) sends it.
        SupportRequest.objects.filter(
            pk=support_request.pk, notified_version=support_request.version
        ).update(notified_version=previous)
        raise
    logger.info("Emailed the buyer about support request %s (version %s)",
                support_request.pk, support_request.version)
    return True
