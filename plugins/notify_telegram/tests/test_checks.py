"""One test per system-check id of the Telegram plugin, run like ``manage.py check``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test.utils import override_settings

# Django's model checks (run by run_checks) may ask the database about its features.
pytestmark = pytest.mark.django_db

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
RIGHT = {"BOT_TOKEN": TOKEN, "CHAT_ID": "-1001234567890"}


def ids(**options: Any) -> set[str]:
    return ids_for({**RIGHT, **options})


def ids_for(options: Any) -> set[str]:
    marketplace = {"PLUGINS": ["notify_telegram"], "notify_telegram": options}
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


@pytest.mark.parametrize("thread_id", [0, -3, "abc", "1.5", 2.5, True, [7]])
def test_e003_thread_id_must_be_a_positive_whole_number(thread_id: Any) -> None:
    assert "notify_telegram.E003" in ids(THREAD_ID=thread_id)


@pytest.mark.parametrize("thread_id", [None, "", 7, "7"])
def test_e003_absent_for_a_topic_id_or_none(thread_id: Any) -> None:
    assert "notify_telegram.E003" not in ids(THREAD_ID=thread_id)


@pytest.mark.parametrize("url", [
    "api.telegram.org", "ftp://api.telegram.org", "https://", "https://api.telegram.org/?x=1",
    "https://user:pw@api.telegram.org", 42,
])
def test_e004_api_url_must_be_an_http_url(url: Any) -> None:
    assert "notify_telegram.E004" in ids(API_URL=url)


@pytest.mark.parametrize("url", [None, "https://api.telegram.org", "http://127.0.0.1:8081",
                                 "http://localhost:8081/", "http://[::1]:8081"])
def test_e004_and_w001_absent_for_https_or_loopback(url: Any) -> None:
    found = ids(API_URL=url)
    assert not {"notify_telegram.E004", "notify_telegram.W001"} & found


def test_w001_plain_http_to_another_host_exposes_the_token() -> None:
    assert "notify_telegram.W001" in ids(API_URL="http://bot-api.internal:8081")


@pytest.mark.parametrize(("key", "check_id", "bad", "good"), [
    ("TIMEOUT", "notify_telegram.E005", [0, -1, 121, "10", True], [0.5, 10, 120]),
    ("MAX_RETRIES", "notify_telegram.E006", [-1, 51, 2.0, "5", True], [0, 5, 50]),
    ("RETRY_BACKOFF", "notify_telegram.E007", [0, -2, 3601, "2", False], [0.1, 2, 3600]),
    ("RETRY_BACKOFF_MAX", "notify_telegram.E008", [0, 86401, "300"], [1, 300, 86400]),
])
def test_numbers_have_their_own_check(key: str, check_id: str, bad: list[Any],
                                      good: list[Any]) -> None:
    for value in bad:
        assert check_id in ids(**{key: value}), value
    for value in good:
        assert check_id not in ids(**{key: value}), value


@pytest.mark.parametrize("options", ["BOT_TOKEN=...", ["BOT_TOKEN"]])
def test_e009_options_must_be_a_dict(options: Any) -> None:
    found = {i for i in ids_for(options) if i.startswith("notify_telegram.")}
    assert found == {"notify_telegram.E009"}


def test_e002_absent_for_sellers_chats_only() -> None:
    """Without an operators' chat, sellers' own chats are enough to be useful."""
    assert "notify_telegram.E002" not in ids(CHAT_ID="", BOT_USERNAME="paper_shop_bot")


@pytest.mark.parametrize("username", ["paper shop", "shop", "paper_shop", "paper-shop-bot",
                                      "a" * 33 + "bot", 42])
def test_e010_bot_username_must_be_a_bots_username(username: Any) -> None:
    found = ids(BOT_USERNAME=username)
    assert "notify_telegram.E010" in found


@pytest.mark.parametrize("username", ["paper_shop_bot", "@PaperShopBot", "Shop_BOT"])
def test_e010_absent_for_a_bots_username(username: Any) -> None:
    assert "notify_telegram.E010" not in ids(BOT_USERNAME=username)


@pytest.mark.parametrize("secret", ["has space", "slash/", "ä" * 40, "x" * 257, 12345])
def test_e011_webhook_secret_uses_telegrams_characters(secret: Any) -> None:
    assert "notify_telegram.E011" in ids(WEBHOOK_SECRET=secret)


def test_w002_a_short_webhook_secret_is_a_warning() -> None:
    found = ids(WEBHOOK_SECRET="short-secret")
    assert "notify_telegram.W002" in found and "notify_telegram.E011" not in found
    long = ids(WEBHOOK_SECRET="Zx8_" * 10)
    assert not {"notify_telegram.W002", "notify_telegram.E011"} & long


@pytest.mark.parametrize(("key", "check_id"), [("CONNECT_TTL", "notify_telegram.E012"),
                                               ("POLL_EVERY", "notify_telegram.E013")])
@pytest.mark.parametrize("value", [0, -5, "10", True, 10**6])
def test_e012_e013_connect_ttl_and_poll_every_are_seconds(key: str, check_id: str,
                                                          value: Any) -> None:
    assert check_id in ids(**{key: value})
