"""Fixtures of the notification tests: the test webhook channel enabled and
pointed at a running :class:`~tests.webhook_channel.WebhookInbox`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

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
