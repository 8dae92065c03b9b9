"""Celery task: the periodic click flush."""

from __future__ import annotations

from celery import shared_task

from marketplace_shorturl.clicks import buffer
from marketplace_shorturl.flush import apply_pending

FLUSH_TASK = "shorturl.flush_clicks"


@shared_task(name=FLUSH_TASK, ignore_result=True)
def flush_clicks() -> int:
    """Push this process's own clicks, then apply the journal; return clicks applied.

    Idempotent and safe to run concurrently (see :mod:`marketplace_shorturl.flush`).
    The push matters where the task runs in a web process (eager tasks in
    development, tests); a Celery worker serves no redirects and pushes nothing.
    """
    buffer.push()
    return apply_pending()
