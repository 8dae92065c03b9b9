"""Core's notification channel contract kit, run against ``TelegramChannel``
and the fake Bot API over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from marketplace_notify_telegram.testing import FakeBotAPI

from marketplace_core.testing.contracts_notifications import (
    ChannelHarness,
    NotificationChannelContract,
)


class TelegramHarness(ChannelHarness):
    identifier = "telegram"

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake

    def delivered(self) -> list[str]:
        return [message.text for message in self.fake.messages]

    def rate_limit_next(self, seconds: int) -> None:
        self.fake.fail_next(429, retry_after=seconds)

    def refuse_next_permanently(self) -> None:
        self.fake.fail_next(403)

    def fail_next_temporarily(self) -> None:
        self.fake.fail_next(502)


class TestTelegramChannelContract(NotificationChannelContract):
    @pytest.fixture
    def harness(self, fake_bot: Any) -> TelegramHarness:
        return TelegramHarness(fake_bot)
