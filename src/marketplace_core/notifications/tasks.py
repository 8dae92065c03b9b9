"""The Celery task that sends one notification through one channel.

Queued by :func:`marketplace_core.notifications.services.notify`, one per
channel. What a failure leads to depends on what the channel raised
(:class:`~marketplace_core.notifications.channels.NotificationChannel` states
the contract):

- :class:`~.channels.RetryLater`: sent again after its ``seconds`` (plus
  :data:`RETRY_LATER_MARGIN`, so the retry never arrives a hair early);
- :class:`~.channels.PermanentFailure`: logged as an error with its reason,
  not retried;
- anything else: sent again after the channel's exponential backoff
  (:meth:`~.channels.RetryPolicy.delay`);
- both kinds of retry count against the channel's ``max_retries``; after that
  the notification is dropped with an error in the log.

Messages go to the channel's logger (``NotificationChannel.logger_name``).
A notification with an id is sent at most once per channel: the ids of sent
notifications are kept in Django's cache for :data:`SENT_TTL` seconds, so a
redelivered task, or the same event announced twice, posts nothing twice (use
a shared cache, such as Redis, when several workers run).

With ``CELERY_TASK_ALWAYS_EAGER`` (no broker: the task runs inside the request
that queued it) nothing is retried: waiting would hold up the page, and Celery
would retry at once.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from celery import Task, shared_task
from django.core.cache import cache

from marketplace_core.notifications.channels import (
    Notification,
    NotificationChannel,
    PermanentFailure,
    RetryLater,
)

logger = logging.getLogger("marketplace_core.notifications")

TASK_NAME = "marketplace_core.notifications.send_notification"
#: How long a sent notification's id is remembered (seconds).
SENT_TTL = 7 * 24 * 3600
#: Added to :class:`RetryLater`'s delay: timers and clocks are not exact, and
#: a retry that arrives early is refused again by a rate-limiting service.
RETRY_LATER_MARGIN = 0.25


class Outcome(enum.StrEnum):
    """What :func:`send_notification` returns (when it does not schedule a retry)."""

    SENT = "sent"
    #: The channel already sent a notification with this id.
    DUPLICATE = "duplicate"
    #: The channel raised :class:`PermanentFailure`, or the task's data was invalid.
    REJECTED = "rejected"
    #: ``max_retries`` were used up.
    GAVE_UP = "gave_up"
    #: A retry was due, but the task ran eagerly (no broker).
    NOT_RETRIED = "not_retried"
    #: No enabled plugin registers the channel (any more).
    UNKNOWN_CHANNEL = "unknown_channel"


def sent_key(channel_identifier: str, notification_id: str) -> str:
    """The cache key remembering that ``channel_identifier`` sent ``notification_id``."""
    return f"marketplace:notification-sent:{channel_identifier}:{notification_id}"


@shared_task(bind=True, name=TASK_NAME, acks_late=True, max_retries=None)
def send_notification(self: Task, channel_identifier: str,
                      notification_data: dict[str, Any]) -> str:
    """Send ``notification_data`` (:meth:`Notification.to_data`) through the
    channel ``channel_identifier``; returns an :class:`Outcome` or schedules a retry."""
    from marketplace_core.plugins.registry import notification_channels

    channel = notification_channels().get(channel_identifier)
    if channel is None:
        logger.error("No enabled plugin provides the notification channel %r; "
                     "a notification for it was dropped.", channel_identifier)
        return Outcome.UNKNOWN_CHANNEL
    log = logging.getLogger(channel.logger_name)
    try:
        note = Notification.from_data(notification_data)
    except TypeError as exc:
        log.error("%s: dropped a notification that cannot be read: %s",
                  channel.verbose_name, exc)
        return Outcome.REJECTED
    key = sent_key(channel_identifier, note.id) if note.id else None
    if key and cache.get(key) is not None:
        return Outcome.DUPLICATE
    try:
        channel.send(note)
    except PermanentFailure as exc:
        code = f" ({exc.code})" if exc.code else ""
        log.error("%s refused the %s notification %r%s: %s", channel.verbose_name, note.event,
                  note.title, code, exc.reason)
        return Outcome.REJECTED
    except RetryLater as exc:
        return _retry(self, channel, log, note, exc, exc.seconds + RETRY_LATER_MARGIN)
    except Exception as exc:
        retries = self.request.retries or 0
        return _retry(self, channel, log, note, exc, channel.retry_policy().delay(retries))
    if key:
        cache.set(key, True, SENT_TTL)
    return Outcome.SENT


def _retry(task: Task, channel: NotificationChannel, log: logging.Logger, note: Notification,
           exc: Exception, countdown: float) -> str:
    retries = task.request.retries or 0
    max_retries = channel.retry_policy().max_retries
    if task.request.is_eager:
        log.warning("%s: %s; the %s notification is not retried (tasks run in process; "
                    "configure a Celery broker to retry).", channel.verbose_name, exc, note.event)
        return Outcome.NOT_RETRIED
    if retries >= max_retries:
        log.error("%s: gave up on the %s notification %r after %s retries: %s",
                  channel.verbose_name, note.event, note.title, retries, exc)
        return Outcome.GAVE_UP
    log.warning("%s: %s; sending the %s notification again in %.1f s (retry %s of %s)",
                channel.verbose_name, exc, note.event, countdown, retries + 1, max_retries)
    raise task.retry(countdown=countdown, exc=exc)
