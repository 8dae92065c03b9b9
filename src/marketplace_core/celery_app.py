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

Without a broker (no ``CELERY_BROKER_URL``, or an empty one) a site needs no
Celery app at all: core's app config makes the current app (the site's, or
Celery's own default) run every task in process, eagerly
(:func:`run_tasks_in_process_without_broker`). Core and the plugins queue
their tasks in ``transaction.on_commit``, so they still run only once the
change that asked for them has committed, and never for a rolled-back one.
Check ``marketplace_core.W006`` warns about it with ``DEBUG`` off.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, current_app
from django.conf import settings

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
    """A Celery app named ``main``, set as the default app for ``shared_task``.

    Without ``CELERY_BROKER_URL`` it runs every task in process
    (:func:`run_tasks_in_process_without_broker`).
    """
    app = Celery(main)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.on_after_configure.connect(_apply_defaults, weak=False)
    app.autodiscover_tasks()
    app.on_after_finalize.connect(_add_periodic_tasks, weak=False)
    app.set_default()
    return app


def broker_configured() -> bool:
    """Whether the Django settings name a Celery broker (``CELERY_BROKER_URL``)."""
    return bool(getattr(settings, "CELERY_BROKER_URL", None))


def tasks_run_in_process() -> bool:
    """Whether tasks run in the process that queues them: no broker, or
    ``CELERY_TASK_ALWAYS_EAGER`` on."""
    return not broker_configured() or bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


#: Set on an app whose configuration :func:`run_tasks_in_process_without_broker` changed.
_FORCED_EAGER = "_marketplace_eager_without_broker"
_EAGER_WITHOUT_BROKER = {"task_always_eager": True, "broker_url": "memory://"}


def run_tasks_in_process_without_broker() -> None:
    """Make the current Celery app run tasks eagerly when no broker is set.

    Without it a site with no broker (and maybe no Celery app) would send its
    first task to Celery's default, ``amqp://localhost``, and fail with
    ``Connection refused``. Exceptions of eager tasks are logged by Celery,
    not raised, unless ``CELERY_TASK_EAGER_PROPAGATES`` says so; retries and
    countdowns do not wait (a retried task is not run again). Called when
    Django is ready and again when ``CELERY_BROKER_URL`` changes (tests): once
    a broker is set, the app's own ``task_always_eager`` applies again.
    """
    _run_in_process_without_broker(current_app._get_current_object())


def _run_in_process_without_broker(app: Celery) -> None:
    forced = getattr(app, _FORCED_EAGER, False)
    if not broker_configured():
        if not forced:
            # memory://: Celery's eager path still takes a producer from the pool, which
            # would otherwise be one for amqp://localhost (warned about on every task).
            app.conf.update(_EAGER_WITHOUT_BROKER)
            setattr(app, _FORCED_EAGER, True)
    elif forced:
        for key in _EAGER_WITHOUT_BROKER:
            app.conf.changes.pop(key, None)
        setattr(app, _FORCED_EAGER, False)


def _apply_defaults(sender: Celery, **kwargs: Any) -> None:
    """Fill in :data:`TASK_DEFAULTS` and :data:`VISIBILITY_TIMEOUT` where the
    site's settings (or the app's own ``conf``) say nothing; with no broker,
    run tasks in process."""
    from django.conf import settings

    for key, value in TASK_DEFAULTS.items():
        if key not in sender.conf.changes and not hasattr(settings, f"CELERY_{key.upper()}"):
            sender.conf[key] = value
    options = dict(sender.conf.broker_transport_options or {})
    options.setdefault("visibility_timeout", VISIBILITY_TIMEOUT)
    sender.conf.broker_transport_options = options
    # An app made after Django was ready (imported late) is not the one ready() saw.
    _run_in_process_without_broker(sender)


def _add_periodic_tasks(sender: Celery, **kwargs: Any) -> None:
    from marketplace_core.periodic import periodic_tasks

    for task in periodic_tasks():
        sender.add_periodic_task(
            task.every_seconds, sender.signature(task.task, kwargs=task.kwargs), name=task.name
        )
