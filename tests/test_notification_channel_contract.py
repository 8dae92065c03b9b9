"""Core's notification contract kit, run against the tiny test webhook channel.

Core ships no channel of its own, so the kit's own test needs one:
:class:`tests.webhook_channel.WebhookChannel` posts HTML to a real HTTP inbox
(:class:`tests.webhook_channel.WebhookInbox`), which answers 429, 4xx or 5xx on
demand.
"""

from __future__ import annotations

import pytest

from marketplace_core.testing.contracts_notifications import (
    ChannelHarness,
    NotificationChannelContract,
)
from tests.notification_fixtures import inbox, inbox_server  # noqa: F401 - fixtures
from tests.webhook_channel import NAME, WebhookInbox


class WebhookHarness(ChannelHarness):
    identifier = NAME

    def __init__(self, service: WebhookInbox) -> None:
        self.inbox = service

    def delivered(self) -> list[str]:
        return self.inbox.texts

    def rate_limit_next(self, seconds: int) -> None:
        self.inbox.fail_next(429, retry_after=seconds)

    def refuse_next_permanently(self) -> None:
        self.inbox.fail_next(410)

    def fail_next_temporarily(self) -> None:
        self.inbox.fail_next(503)


class TestWebhookChannelContract(NotificationChannelContract):
    @pytest.fixture
    def harness(self, inbox: WebhookInbox) -> WebhookHarness:  # noqa: F811
        return WebhookHarness(inbox)
