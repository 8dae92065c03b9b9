"""The example site: core and every plugin, configured from the environment."""

from example_site.celery import app as celery_app

__all__ = ["celery_app"]
