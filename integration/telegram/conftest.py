"""Fixtures for the example site configured for Telegram (``--ds=integration.settings_telegram``).

These tests need the settings module that enables the Telegram plugin; under any
other settings the folder is not collected, and
``integration/test_telegram_example_site.py`` runs it in a pytest of its own instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from integration.processes import example_site_worker

SETTINGS_MODULE = "integration.settings_telegram"

if settings.SETTINGS_MODULE != SETTINGS_MODULE:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def fake_bot_api() -> Iterator[Any]:
    """The fake Bot API where the example site's environment points the plugin."""
    from marketplace_notify_telegram.testing import FakeBotAPI

    with FakeBotAPI(token=os.environ["TELEGRAM_BOT_TOKEN"],
                    port=int(os.environ["TELEGRAM_FAKE_PORT"])) as fake:
        yield fake


@pytest.fixture
def fake_bot(fake_bot_api: Any) -> Iterator[Any]:
    fake_bot_api.reset()
    yield fake_bot_api
    fake_bot_api.reset()


@pytest.fixture
def telegram_worker(transactional_db: Any, live_server: Any) -> Iterator[Any]:
    """A real Celery worker with the Telegram settings (Redis broker, the test database)."""
    with example_site_worker(SETTINGS_MODULE) as worker:
        yield worker
