"""One test per system-check id of the Telegram plugin, run like ``manage.py check``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test.utils import override_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
RIGHT = {"BOT_TOKEN": TOKEN, "CHAT_ID": "-1001234567890"}


def ids(**options: Any) -> set[str]:
    marketplace = {"PLUGINS": ["notify_telegram"], "notify_telegram": {**RIGHT, **options}}
    with override_settings(MARKETPLACE=marketplace):
        return {message.id for message in run_checks()}


def test_right_configuration_passes_every_plugin_check() -> None:
    found = ids()
    assert not {i for i in found if i.startswith("notify_telegram.")}
    assert "marketplace_core.W003" not in found


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "123456789:short", "bot" + TOKEN, TOKEN + "\n", TOKEN + " x"],
    ids=["none", "empty", "no-colon", "short-secret", "bot-prefix", "trailing-newline", "suffix"],
)
def test_e001_bot_token_must_be_a_bot_api_token(token: Any) -> None:
    assert "notify_telegram.E001" in ids(BOT_TOKEN=token)


def test_e001_absent_for_a_bot_api_token() -> None:
    assert "notify_telegram.E001" not in ids(BOT_TOKEN=TOKEN)


@pytest.mark.parametrize("chat_id", [None, "", "   "])
def test_e002_chat_id_is_required(chat_id: Any) -> None:
    assert "notify_telegram.E002" in ids(CHAT_ID=chat_id)


@pytest.mark.parametrize("chat_id", ["-1001234567890", "@marketplace_sales", 42])
def test_e002_absent_for_a_chat_id(chat_id: Any) -> None:
    assert "notify_telegram.E002" not in ids(CHAT_ID=chat_id)
