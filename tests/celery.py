"""The Celery app core's tests run tasks with (eager unless a test starts a worker)."""

from marketplace_core.celery_app import create_celery_app

app = create_celery_app("tests")
