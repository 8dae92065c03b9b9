"""Background work of the support plugin: its emails (see :mod:`.emails`)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from marketplace_support.emails import send_message_email, send_status_email
from marketplace_support.models import SupportMessage, SupportRequest

logger = logging.getLogger("support")


#: Options of every email task: SMTP errors are OSErrors, retried after 10 s, 20 s,
#: 40 s ... up to 10 min, 6 times; acknowledged after the run (a lost worker's task
#: is delivered again, which the tasks' claims make harmless).
EMAIL_TASK_OPTIONS: dict[str, Any] = {
    "autoretry_for": (OSError,), "retry_backoff": 10, "retry_backoff_max": 600,
    "retry_jitter": True, "max_retries": 6, "acks_late": True,
}


@shared_task(name="support.email_buyer", **EMAIL_TASK_OPTIONS)
def email_buyer(support_request_id: int, version: int, site_url: str) -> bool:
    """Email the buyer the request's current state, unless it was already emailed.

    Idempotent, and nothing is lost when the worker dies: in one transaction the
    row's ``notified_version`` is claimed (a conditional update, which locks the
    row), the email is sent, and the claim commits. A redelivered or an older
    task finds the version claimed and sends nothing; a task running at the same
    time waits for the row and then finds it claimed; a send that raises, or a
    process that dies mid-send, rolls the claim back, so the retry or the
    redelivered task sends. The buyer gets a second copy only if the process
    dies between the mail server's acceptance and the commit. While it sends, the
    seller's next change to the request waits for the row. Returns whether an
    email was sent.
    """
    support_request = (
        SupportRequest.objects.select_related("purchase__product", "purchase__buyer")
        .filter(pk=support_request_id).first()
    )
    if support_request is None or support_request.notified_version >= version:
        return False
    with transaction.atomic():
        claimed = SupportRequest.objects.filter(
            pk=support_request.pk, version=support_request.version,
            notified_version=support_request.notified_version,
        ).update(notified_version=support_request.version)
        if not claimed:
            return False  # changed or emailed meanwhile: that task emails (or emailed) it
        send_status_email(support_request, site_url)
    logger.info("Emailed the buyer about support request %s (version %s)",
                support_request.pk, support_request.version)
    return True


@shared_task(name="support.email_message", **EMAIL_TASK_OPTIONS)
def email_message(message_id: int, site_url: str) -> bool:
    """Email the other side of a support request about one new message, once.

    The same claim as :func:`email_buyer`: in one transaction the message's
    ``emailed_at`` is set by a conditional update (which locks the row), the
    email is sent and the claim commits. A repeated task finds it set and sends
    nothing; a failed send rolls the claim back, so the retry sends. Returns
    whether an email was sent.
    """
    message = (
        SupportMessage.objects.select_related(
            "author", "support_request__purchase__buyer",
            "support_request__purchase__product__seller",
        ).filter(pk=message_id, emailed_at__isnull=True).first()
    )
    if message is None:
        return False  # emailed already (or gone)
    with transaction.atomic():
        claimed = SupportMessage.objects.filter(
            pk=message.pk, emailed_at__isnull=True
        ).update(emailed_at=timezone.now())
        if not claimed:
            return False  # another run of this task claimed it meanwhile
        send_message_email(message, site_url)
    logger.info("Emailed the %s about support message %s", message.recipient_role, message.pk)
    return True
