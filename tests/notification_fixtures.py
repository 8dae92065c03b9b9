"""Fixtures of the notification tests: the test webhook channel enabled and
pointed at a running :class:`~tests.webhook_channel.WebhookInbox`, and a Celery
worker thread (``worker_thread``) for tests that need real countdowns.

Import the fixtures a test module uses from here (pytest finds them in the
module's namespace)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.test import override_settings

from tests.celery import app as celery_app
from tests.webhook_channel import NAME, WebhookInbox, installed_webhook_channel


@pytest.fixture(scope="session")
def inbox_server() -> Iterator[WebhookInbox]:
    with WebhookInbox() as inbox:
        yield inbox


@pytest.fixture
def inbox(inbox_server: WebhookInbox, settings: Any) -> Iterator[WebhookInbox]:
    """The inbox, emptied, with the webhook channel enabled and sending to it.

    Changing ``MARKETPLACE`` afterwards reloads the plugins from the settings:
    a fixture that does so enters :func:`installed_webhook_channel` again.
    """
    inbox_server.reset()
    cache.clear()  # the ids of sent notifications
    settings.MARKETPLACE = {**settings.MARKETPLACE, NAME: {"URL": inbox_server.url}}
    with installed_webhook_channel():
        yield inbox_server
    inbox_server.reset()


@pytest.fixture(scope="module")
def worker_thread() -> Iterator[None]:
    """A Celery worker with two threads (the in-memory broker of ``tests.celery``)
    for the module; tasks are not eager meanwhile."""
    # Through Django's setting: before Celery 5.7, app.conf.task_always_eager = False
    # does not override CELERY_TASK_ALWAYS_EAGER read from the settings.
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False),
        start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False,
                     shutdown_timeout=10),
    ):
        yield
