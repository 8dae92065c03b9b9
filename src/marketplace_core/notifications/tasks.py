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

A notification with an id is sent at most once per channel (and recipient:
see ``Notification.recipient_id``), also when two
tasks carry it at the same time (a broker redelivered it while the first one
was still sending):

1. the task *claims* ``(channel, id)`` with the cache's atomic ``add``
   (:func:`claim`, for the channel's ``RetryPolicy.claim_ttl``); a task that
   finds the key taken sends nothing: :attr:`Outcome.DUPLICATE` when it was
   sent, :attr:`Outcome.IN_FLIGHT` when another task holds the claim;
2. only the claimant calls ``channel.send``;
3. when ``send`` returns, the key is kept as "sent" for :data:`SENT_TTL`
   seconds (a week), so later repeats are skipped; when it raises, the claim is
   released (:func:`release`) before any retry is scheduled, so the retry, or
   another delivery, can send.

On a worker, an :attr:`~Outcome.IN_FLIGHT` task checks again once the claim
would have expired (``claim_ttl`` plus :data:`RETRY_LATER_MARGIN`), counting
as a retry: if the claimant died while sending, this task sends instead; if it
sent, this one ends as a duplicate. The cache must be shared by every worker
and its ``add`` atomic (Redis or Memcached; not the file-based cache, and the
local-memory cache only within one process).

With ``CELERY_TASK_ALWAYS_EAGER`` (no broker: the task runs inside the request
that queued it, after that request's transaction commits) nothing is retried:
waiting would hold up the page, and Celery would retry at once. An
:attr:`~Outcome.IN_FLIGHT` task ends at once there too.
"""

from __future__ import annotations

import enum
import logging
import uuid
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
    #: Another task holds the claim on this id (it is sending it now), and
    #: this one ran eagerly or had no retries left to wait for it.
    IN_FLIGHT = "in_flight"
    #: The channel raised :class:`PermanentFailure`, or the task's data was invalid.
    REJECTED = "rejected"
    #: ``max_retries`` were used up.
    GAVE_UP = "gave_up"
    #: A retry was due, but the task ran eagerly (no broker).
    NOT_RETRIED = "not_retried"
    #: No enabled plugin registers the channel (any more).
    UNKNOWN_CHANNEL = "unknown_channel"


#: The value of a key whose notification was sent (a claim's value is a token).
SENT = True


def sent_key(channel_identifier: str, notification_id: str, recipient_id: str = "") -> str:
    """The cache key of ``(channel_identifier, notification_id, recipient_id)``: a
    claim while a task sends it, :data:`SENT` once it was sent. A notification for
    the operators (no recipient) keeps the key it had before recipients existed."""
    key = f"marketplace:notification-sent:{channel_identifier}:{notification_id}"
    return f"{key}:to:{recipient_id}" if recipient_id else key


def claim(key: str, ttl: float) -> str | None:
    """Claim ``key`` for ``ttl`` seconds with the cache's atomic ``add``.

    Returns the claim's token (for :func:`release`), or ``None`` when the key
    is taken: claimed by another task, or :data:`SENT`. Of any number of
    callers racing for a free key, exactly one gets a token.
    """
    token = f"claim:{uuid.uuid4().hex}"
    return token if cache.add(key, token, timeout=max(1, round(ttl))) else None


def release(key: str, token: str) -> None:
    """Give up the claim ``token`` on ``key``, so another task may send.

    Does nothing when ``key`` no longer holds ``token`` (the claim expired and
    another task claimed it, or it was sent meanwhile): only a claimant
    releases its own claim.
    """
    if cache.get(key) == token:
        cache.delete(key)


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
    key = sent_key(channel_identifier, note.id, note.recipient_id) if note.id else None
    token = None
    if key is not None:
        token = claim(key, channel.retry_policy().claim_ttl)
        if token is None:
            return _taken(self, channel, log, note, key)
    try:
        _send(channel, note, key, token)
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
    if key is not None:
        cache.set(key, SENT, SENT_TTL)
    return Outcome.SENT


def _send(channel: NotificationChannel, note: Notification, key: str | None,
          token: str | None) -> None:
    """``channel.send(note)``; when it raises, release the claim first, then re-raise."""
    try:
        channel.send(note)
    except BaseException:
        if key is not None and token is not None:
            release(key, token)
        raise


def _taken(task: Task, channel: NotificationChannel, log: logging.Logger, note: Notification,
           key: str) -> str:
    """The key of ``note`` is taken: sent (a duplicate), or claimed by another task.

    A claimed one is checked again on a worker once the claim has expired,
    while retries are left; eagerly it is left to the claimant.
    """
    if cache.get(key) == SENT:
        return Outcome.DUPLICATE
    policy = channel.retry_policy()
    retries = task.request.retries or 0
    if task.request.is_eager or retries >= policy.max_retries:
        log.info("%s: the %s notification %r is being sent by another task.",
                 channel.verbose_name, note.event, note.title)
        return Outcome.IN_FLIGHT
    countdown = policy.claim_ttl + RETRY_LATER_MARGIN
    log.info("%s: another task is sending the %s notification %r; checking again in %.1f s.",
             channel.verbose_name, note.event, note.title, countdown)
    raise task.retry(countdown=countdown)


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
