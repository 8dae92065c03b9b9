"""Periodic tasks: the schedule plugins (and core) register, and a runner for sites without beat.

In production Celery beat queues each :class:`~marketplace_core.plugins.types.PeriodicTask`
every ``every_seconds`` (:mod:`marketplace_core.celery_app`). A site that runs no
beat (the example site without Redis) sets ``MARKETPLACE["PERIODIC_TASKS_IN_PROCESS"]``:
then, after a request has been answered, the web process runs each task that is
due, in the process, at most once per interval per process. The tasks are the
same code; each must be safe to run twice or at once (every periodic task is).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from marketplace_core.plugins.types import PeriodicTask

logger = logging.getLogger("marketplace_core.periodic")

_lock = threading.Lock()
#: When each task last started in this process (``time.monotonic()``).
_last_run: dict[str, float] = {}
#: Before this moment no task is due: requests until then do not ask the plugins.
_next_due = float("-inf")


def periodic_tasks() -> list[PeriodicTask]:
    """Every enabled plugin's ``register_periodic_tasks`` answer, core's included."""
    from marketplace_core.plugins.manager import get_plugin_manager

    return [task for group in get_plugin_manager().hook.register_periodic_tasks()
            for task in group or []]


def run_due(now: float | None = None) -> list[str]:
    """Run, in this process, every periodic task whose interval has passed; their names.

    A task that raises is logged; the others still run.
    """
    from celery import current_app

    global _next_due
    now = time.monotonic() if now is None else now
    with _lock:
        if now < _next_due:
            return []
        tasks = periodic_tasks()
        due = [task for task in tasks
               if now - _last_run.get(task.name, float("-inf")) >= task.every_seconds]
        for task in due:
            _last_run[task.name] = now
        _next_due = min((_last_run[task.name] + task.every_seconds for task in tasks
                         if task.name in _last_run), default=float("-inf"))
    for task in due:
        try:
            current_app.tasks[task.task].apply(kwargs=task.kwargs, throw=True)
        except Exception:
            logger.exception("Periodic task %s failed in process", task.name)
    return [task.name for task in due]


def run_due_after_request(**kwargs: Any) -> None:
    """``request_finished`` receiver: :func:`run_due` when the site asks for it."""
    from marketplace_core.conf import conf

    if conf.PERIODIC_TASKS_IN_PROCESS:
        run_due()
