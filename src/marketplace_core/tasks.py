"""Import point for Celery's ``autodiscover_tasks``: every core task module."""

from marketplace_core.payments.tasks import deliver_dummy_webhook

__all__ = ["deliver_dummy_webhook"]
