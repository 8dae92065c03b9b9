"""The Celery app of the worker the event tests start (``celery -A tests.worker_app``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from marketplace_core.celery_app import create_celery_app

app = create_celery_app("tests")
