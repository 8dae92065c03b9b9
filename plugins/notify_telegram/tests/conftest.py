"""Fixtures of the Telegram plugin's tests: the fake Bot API, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from marketplace_notify_telegram.testing import FakeBotAPI

from marketplace_core.celery_app import create_celery_app

create_celery_app("tests")

CHAT_ID = "-1001234567890"


@pytest.fixture(scope="session")
def fake_bot_server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def fake_bot(fake_bot_server: FakeBotAPI, settings: Any) -> Iterator[FakeBotAPI]:
    """The fake, emptied, with the plugin configured to send to it."""
    fake_bot_server.reset()
    cache.clear()  # sent-notification ids
    settings.MARKETPLACE = {
        **settings.MARKETPLACE,
        "notify_telegram": {"BOT_TOKEN": fake_bot_server.token, "CHAT_ID": CHAT_ID,
                            "API_URL": fake_bot_server.url},
    }
    yield fake_bot_server
    fake_bot_server.reset()


def configure(settings: Any, **options: Any) -> None:
    """Change some of the plugin's options for one test."""
    merged = {**settings.MARKETPLACE["notify_telegram"], **options}
    settings.MARKETPLACE = {**settings.MARKETPLACE, "notify_telegram": merged}
