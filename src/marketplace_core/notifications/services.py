"""Sending notifications: the one entry point for code that has something to say.

:func:`notify` never sends anything itself. Once the current transaction
commits it queues one Celery task
(:func:`marketplace_core.notifications.tasks.send_notification`) per
registered channel that accepts the notification; if the transaction rolls
back, nothing is queued. Retries, rate limits and de-duplication happen in the
task.
"""

from __future__ import annotations

import logging

from marketplace_core.notifications.channels import Notification
from marketplace_core.transactions import after_commit

logger = logging.getLogger("marketplace_core.notifications")


def notify(notification: Notification) -> None:
    """Queue ``notification`` for every registered channel that accepts it, after commit.

    Call it from a service or an event hook, inside or outside a transaction
    (outside, the tasks are queued at once). With a broker nothing is sent
    during the request; with ``CELERY_TASK_ALWAYS_EAGER`` (no broker) the
    tasks run in this process as they are queued, so after the commit but
    still inside the request. A broker that cannot be reached is logged, never
    raised: the change the notification is about has committed.
    """
    # robust: a failure here must not break the caller's other on_commit callbacks.
    after_commit(queue_now, notification)


def queue_now(notification: Notification) -> list[str]:
    """Queue the tasks for ``notification`` now; returns the channels queued for.

    :func:`notify` calls this after commit; call it directly only when no
    transaction is involved. Each channel is isolated: one that raises in
    ``accepts`` or cannot be queued is logged and the others still get theirs.
    """
    from marketplace_core.notifications.tasks import send_notification
    from marketplace_core.plugins.registry import notification_channels

    data = notification.to_data()
    queued: list[str] = []
    for identifier, channel in notification_channels().items():
        try:
            if not channel.accepts(notification):
                continue
            send_notification.apply_async(
                kwargs={"channel_identifier": identifier, "notification_data": data}
            )
        except Exception:
            logger.exception("Could not queue the %s notification %r for channel %r",
                             notification.event, notification.title, identifier)
            continue
        queued.append(identifier)
    return queued
