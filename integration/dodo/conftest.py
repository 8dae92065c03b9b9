"""Fixtures for the example site configured for Dodo (``--ds=integration.settings_dodo``).

These tests need the settings module that enables the Dodo plugin; under any
other settings the folder is not collected, and ``integration/test_dodo_example_site.py``
runs it in a pytest of its own instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from integration.processes import example_site_worker

SETTINGS_MODULE = "integration.settings_dodo"

if settings.SETTINGS_MODULE != SETTINGS_MODULE:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def fake_dodo() -> Iterator[Any]:
    """The fake Dodo where the example site's environment points it."""
    from marketplace_payments_dodo.testing import FakeDodo

    secrets = os.environ["DODO_PAYMENTS_WEBHOOK_SECRET"].split(",")
    with FakeDodo(port=int(os.environ["DODO_FAKE_PORT"]),
                  api_key=os.environ["DODO_PAYMENTS_API_KEY"],
                  webhook_secret=secrets[0]) as fake:
        yield fake


@pytest.fixture
def dodo(fake_dodo: Any, live_server: Any) -> Iterator[Any]:
    """The fake, fresh, delivering webhooks to the live server's Dodo endpoint."""
    fake_dodo.reset()
    fake_dodo.webhook_url = live_server.url + "/payments/webhooks/dodo/"
    yield fake_dodo
    fake_dodo.wait_for_webhooks()


@pytest.fixture
def dodo_celery_worker(transactional_db: Any, live_server: Any) -> Iterator[Any]:
    """A real Celery worker with the Dodo settings (Redis broker, the test database)."""
    with example_site_worker(SETTINGS_MODULE) as worker:
        yield worker
