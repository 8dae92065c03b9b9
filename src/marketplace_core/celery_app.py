"""Build a site's Celery app wired to Django settings and the plugin hooks.

In the site's ``celery.py``::

    from marketplace_core.celery_app import create_celery_app
    app = create_celery_app("mysite")

Settings come from Django settings prefixed ``CELERY_`` (``CELERY_BROKER_URL``,
``CELERY_TASK_ALWAYS_EAGER``...). Periodic tasks from ``register_periodic_tasks``
are added to beat's schedule once Django is ready.
"""

from __future__ import annotations

from typing import Any

from celery import Celery


def create_celery_app(main: str) -> Celery:
    """A Celery app named ``main``, set as the default app for ``shared_task``."""
    app = Celery(main)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks()
    app.on_after_finalize.connect(_add_periodic_tasks, weak=False)
    app.set_default()
    return app


def _add_periodic_tasks(sender: Celery, **kwargs: Any) -> None:
    from marketplace_core.plugins.manager import get_plugin_manager

    for group in get_plugin_manager().hook.register_periodic_tasks():
        for task in group or []:
            sender.add_periodic_task(
                task.every_seconds, sender.signature(task.task, kwargs=task.kwargs), name=task.name
            )
