"""Celery tasks: the periodic click flush and the replay of missed invalidations."""

from __future__ import annotations

from celery import shared_task

from marketplace_shorturl.clicks import BUFFERS
from marketplace_shorturl.flush import apply_pending
from marketplace_shorturl.linkcache import replay_missed

FLUSH_TASK = "shorturl.flush_clicks"
REPLAY_TASK = "shorturl.replay_invalidations"


@shared_task(name=FLUSH_TASK, ignore_result=True)
def flush_clicks() -> int:
    """Push this process's own clicks and views, then apply the journals; return
    clicks applied.

    Idempotent and safe to run concurrently (see :mod:`marketplace_shorturl.flush`).
    The push matters where the task runs in a web process (eager tasks in
    development, tests); a Celery worker serves no redirects and pushes nothing.
    """
    for held in BUFFERS:
        held.push()
    return apply_pending()


@shared_task(name=REPLAY_TASK, ignore_result=True)
def replay_invalidations() -> int:
    """Tell the shared cache about link changes saved while it was unreachable; return
    how many were replayed (see :func:`~marketplace_shorturl.linkcache.replay_missed`).

    Web processes that noticed the outage replay them on their first lookup after
    it; this task covers the rest. Idempotent; raises while the cache is still down.
    """
    return replay_missed()
