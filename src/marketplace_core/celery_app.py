"""Build a site's Celery app wired to Django settings and the plugin hooks.

In the site's ``celery.py``::

    from marketplace_core.celery_app import create_celery_app
    app = create_celery_app("mysite")

Settings come from Django settings prefixed ``CELERY_`` (``CELERY_BROKER_URL``,
``CELERY_TASK_ALWAYS_EAGER``...). Periodic tasks from ``register_periodic_tasks``
are added to beat's schedule once Django is ready.

No task is lost when a worker dies. Unless the site's settings name them,
every task is

- acknowledged late (:data:`TASK_DEFAULTS`: ``task_acks_late``): after it ran,
  not when a worker took it;
- handed back to the broker when the pool process running it dies
  (``task_reject_on_worker_lost``): killed, out of memory, crashed. The broker
  delivers it again at once, to any worker;
- delivered again when a whole worker (its main process, or its machine) died
  while holding it unacknowledged: with Redis, after the transport's
  ``visibility_timeout`` (:data:`VISIBILITY_TIMEOUT`, 15 minutes, unless
  ``CELERY_BROKER_TRANSPORT_OPTIONS`` names one) plus up to about 100 s until a
  running worker's next sweep of unacknowledged messages.

So every task may run twice, and each one is written to be safe when it does
(``docs/architecture.md``, "Tasks survive a dead worker"). A task that kills
its worker every time it runs is delivered again every time: look for
``WorkerLostError`` in the worker's log.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

#: Task settings a site gets unless its Django settings name them
#: (``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST``).
TASK_DEFAULTS: dict[str, Any] = {
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
}

#: The Redis (and SQS) transport's ``visibility_timeout`` in seconds, unless
#: ``CELERY_BROKER_TRANSPORT_OPTIONS`` names one: how long a task taken by a
#: worker that then vanished waits before another worker gets it. It must stay
#: above the longest a task is held unacknowledged on purpose: its run time,
#: and the countdown of a scheduled retry (core's and the plugins' retries wait
#: at most 10 minutes), or the task is delivered a second time while the first
#: worker still holds it.
VISIBILITY_TIMEOUT = 15 * 60


def create_celery_app(main: str) -> Celery:
    """A Celery app named ``main``, set as the default app for ``shared_task``."""
    app = Celery(main)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.on_after_configure.connect(_apply_defaults, weak=False)
    app.autodiscover_tasks()
    app.on_after_finalize.connect(_add_periodic_tasks, weak=False)
    app.set_default()
    return app


def _apply_defaults(sender: Celery, **kwargs: Any) -> None:
    """Fill in :data:`TASK_DEFAULTS` and :data:`VISIBILITY_TIMEOUT` where the
    site's settings (or the app's own ``conf``) say nothing."""
    from django.conf import settings

    for key, value in TASK_DEFAULTS.items():
        if key not in sender.conf.changes and not hasattr(settings, f"CELERY_{key.upper()}"):
            sender.conf[key] = value
    options = dict(sender.conf.broker_transport_options or {})
    options.setdefault("visibility_timeout", VISIBILITY_TIMEOUT)
    sender.conf.broker_transport_options = options


def _add_periodic_tasks(sender: Celery, **kwargs: Any) -> None:
    from marketplace_core.plugins.manager import get_plugin_manager

    for group in get_plugin_manager().hook.register_periodic_tasks():
        for task in group or []:
            sender.add_periodic_task(
                task.every_seconds, sender.signature(task.task, kwargs=task.kwargs), name=task.name
            )
