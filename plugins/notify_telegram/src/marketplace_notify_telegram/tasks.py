"""Sending in the background, with Telegram's rate limits and outages in mind.

- 429 Too Many Requests: wait the ``retry_after`` Telegram gives (plus a
  quarter of a second, so the retry does not arrive a hair early), then send again;
- 5xx or no answer: send again after ``RETRY_BACKOFF * 2**n`` seconds (at most
  ``RETRY_BACKOFF_MAX``);
- both count against ``MAX_RETRIES``; after that the notification is dropped
  with an error in the log;
- any other refusal (400, 401, 403, 404) is logged with Telegram's reason and
  not retried: it would be refused again.

With ``CELERY_TASK_ALWAYS_EAGER`` (no broker, tasks run in the request) nothing
is retried: waiting would hold up the page, and Celery would retry at once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from celery import Task, shared_task
from django.core.cache import cache

from marketplace_core.notifications.channels import Notification
from marketplace_notify_telegram import bot_api
from marketplace_notify_telegram.channel import TelegramChannel
from marketplace_notify_telegram.conf import conf

logger = logging.getLogger("notify_telegram")

TASK_NAME = "notify_telegram.send_notification"
#: How long a sent notification's id is remembered, so a repeated event or a
#: redelivered task does not post it twice.
SENT_TTL = 7 * 24 * 3600
#: Added to Telegram's ``retry_after``: timers and clocks are not exact, and a
#: retry that arrives early is answered 429 again.
RETRY_AFTER_MARGIN = 0.25


def backoff(retries: int) -> float:
    """Seconds to wait before retry ``retries + 1`` after a server error."""
    return float(min(conf.RETRY_BACKOFF_MAX, conf.RETRY_BACKOFF * 2**retries))


def queue(notification: Notification) -> None:
    """Send ``notification`` from a worker (call it after the transaction commits)."""
    send_notification.delay(asdict(notification))


def _sent_key(notification: Notification) -> str | None:
    notification_id = notification.data.get("id")
    return f"notify_telegram:sent:{notification.event}:{notification_id}" if notification_id \
        else None


@shared_task(bind=True, name=TASK_NAME, acks_late=True, max_retries=None)
def send_notification(self: Task, notification: dict[str, Any]) -> str:
    """Post one notification; returns what happened (``"sent"``, ``"duplicate"``,
    ``"rejected"``, ``"gave_up"``, ``"not_retried"``) or schedules a retry."""
    note = Notification(**notification)
    key = _sent_key(note)
    if key and cache.get(key):
        return "duplicate"
    try:
        TelegramChannel().send(note)
    except bot_api.RetryAfter as exc:
        return _retry(self, note, exc, exc.retry_after + RETRY_AFTER_MARGIN)
    except bot_api.Unavailable as exc:
        return _retry(self, note, exc, backoff(self.request.retries))
    except bot_api.Rejected as exc:
        logger.error("Telegram refused the %s notification %r (HTTP %s): %s%s", note.event,
                     note.title, exc.status, exc.description, _hint(exc))
        return "rejected"
    if key:
        cache.set(key, True, SENT_TTL)
    return "sent"


def _retry(task: Task, note: Notification, exc: bot_api.BotAPIError, countdown: float) -> str:
    retries = task.request.retries or 0
    if task.request.is_eager:
        logger.warning("Telegram: %s; the %s notification is not retried (tasks run in "
                       "process; configure a Celery broker to retry).", exc, note.event)
        return "not_retried"
    if retries >= conf.MAX_RETRIES:
        logger.error("Telegram: gave up on the %s notification %r after %s retries: %s",
                     note.event, note.title, retries, exc)
        return "gave_up"
    logger.warning("Telegram: %s; sending the %s notification again in %.1f s (retry %s of %s)",
                   exc, note.event, countdown, retries + 1, conf.MAX_RETRIES)
    raise task.retry(countdown=countdown, exc=exc)


def _hint(exc: bot_api.BotAPIError) -> str:
    migrated = exc.parameters.get("migrate_to_chat_id")
    if migrated:
        return f" (the group became a supergroup: set CHAT_ID to {migrated})"
    if exc.status == 401:
        return " (check BOT_TOKEN)"
    if exc.status == 403:
        return " (add the bot to the chat, or unblock it)"
    return ""
