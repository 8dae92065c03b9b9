"""Account emails sent once per task, even when the task runs twice.

A Celery task may run twice: the broker delivers it again after the worker
running it died (``celery_app``: late acknowledgement, rejected on a lost
worker), or after the visibility timeout while the first run is still going.
:func:`send_once` makes such a second run send nothing, and a run that died
mid-way lose nothing:

1. In one database transaction it inserts the key's :class:`SentEmail` row (the
   key is unique), sends the email, then commits. Until that commit the new row
   holds the key: another run with the same key waits at its own insert
   (PostgreSQL waits on the unique index, SQLite on the write lock of the
   ``IMMEDIATE`` transaction the settings ask for) and, once the first commits,
   finds the key taken and sends nothing.
2. When sending raises, the transaction rolls back and leaves no row, so the
   task's retry sends.
3. When the process dies while sending (killed, out of memory, its machine
   lost), the database rolls the transaction back as the connection drops, so
   the delivery that follows sends.
4. Once committed, the row says "sent": every later run with the key returns
   ``False`` without sending.

The window that remains: the process dies after the mail server accepted the
message and before the commit (the SMTP ``QUIT`` and the ``COMMIT``, a few
milliseconds); the next delivery then sends a second copy. No record can close
it: the mail server and the database do not commit together.

While it sends, a run keeps a database transaction open for as long as the
SMTP exchange takes (Django's ``EMAIL_TIMEOUT`` bounds it; set one). On SQLite
that transaction blocks other writers meanwhile, another reason to run workers
on PostgreSQL. Rows older than :data:`RETENTION` are deleted after each send:
no delivery of a task comes that late.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

#: How long a sent email's key is kept: far longer than a task is retried or
#: redelivered (``celery_app.VISIBILITY_TIMEOUT``, retries within an hour).
RETENTION = timedelta(days=7)


class SentEmail(models.Model):
    """An email :func:`send_once` sent, by key (a committed row means "sent")."""

    key = models.CharField(max_length=255, unique=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key


def send_once(key: str | None, send: Callable[[], None]) -> bool:
    """Call ``send()`` unless an email with ``key`` was sent; whether it was called.

    ``send`` must send one email synchronously and raise when it fails. Without
    a ``key`` (a task called directly, not through Celery) it always sends.
    """
    if not key:
        send()
        return True
    with transaction.atomic():
        try:
            with transaction.atomic():
                SentEmail.objects.create(key=key)
        except IntegrityError:
            return False
        send()
    SentEmail.objects.filter(sent_at__lt=timezone.now() - RETENTION).delete()
    return True


def task_key(task_name: str, task_id: str | None) -> str | None:
    """The key of the email a task run sends: the same for every delivery and
    retry of one task (Celery keeps its id), different for each task queued."""
    return f"{task_name}:{task_id}" if task_id else None
