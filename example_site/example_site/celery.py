"""The site's Celery app (``celery -A example_site worker``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")

from marketplace_core.celery_app import create_celery_app

app = create_celery_app("example_site")
