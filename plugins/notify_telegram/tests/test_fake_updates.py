"""The fake Bot API's updates, as Telegram serves them: getUpdates with offset and
a (short) long poll, the webhook methods, Start on a deep link, a blocked chat."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from marketplace_notify_telegram import bot_api
from marketplace_notify_telegram.testing import BLOCKED, FakeBotAPI


def call(fake: FakeBotAPI, method: str, **payload: Any) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{fake.url}/bot{fake.token}/{method}",
                                     data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_get_updates_confirms_by_offset(fake_bot: FakeBotAPI) -> None:
    first = fake_bot.user_starts("tok_1", chat_id=11)
    second = fake_bot.user_sends("hi", chat_id=12)

    status, answer = call(fake_bot, "getUpdates")
    assert status == 200 and answer["ok"] is True
    assert [u["update_id"] for u in answer["result"]] == [first["update_id"],
                                                        second["update_id"]]
    message = answer["result"][0]["message"]
    assert message["text"] == "/start tok_1"
    assert message["chat"] == {"id": 11, "type": "private", "first_name": "Sam",
                               "username": "sam"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Unconfirmed updates come again; an offset confirms the ones before it.
    assert len(call(fake_bot, "getUpdates")[1]["result"]) == 2
    _, answer = call(fake_bot, "getUpdates", offset=second["update_id"])
    assert [u["update_id"] for u in answer["result"]] == [second["update_id"]]
    _, answer = call(fake_bot, "getUpdates", offset=second["update_id"] + 1)
    assert answer["result"] == [] and fake_bot.pending_updates == []


def test_a_long_poll_returns_when_an_update_arrives(fake_bot: FakeBotAPI) -> None:
    timer = threading.Timer(0.3, lambda: fake_bot.user_sends("late", chat_id=13))
    timer.start()
    try:
        _, answer = call(fake_bot, "getUpdates", timeout=30)
    finally:
        timer.join()
    assert [u["message"]["text"] for u in answer["result"]] == ["late"]
    started = time.monotonic()
    _, answer = call(fake_bot, "getUpdates", offset=answer["result"][0]["update_id"] + 1,
                     timeout=0.2)
    assert answer["result"] == [] and time.monotonic() - started >= 0.2


def test_webhook_methods(fake_bot: FakeBotAPI) -> None:
    status, answer = call(fake_bot, "setWebhook", url="https://x.example/hook",
                          secret_token="bad secret")
    assert status == 400 and "secret token" in answer["description"]
    bot_api.set_webhook(api_url=fake_bot.url, token=fake_bot.token,
                        url="http://127.0.0.1:9/hook", secret_token="abc_DEF-1", timeout=5)
    fake_bot.user_sends("hi")  # the webhook does not answer: kept, error recorded
    info = bot_api.get_webhook_info(api_url=fake_bot.url, token=fake_bot.token, timeout=5)
    assert info["url"] == "http://127.0.0.1:9/hook"
    assert info["pending_update_count"] == 1
    assert info["last_error_message"].startswith("Wrong response from the webhook")
    status, answer = call(fake_bot, "getUpdates")
    assert (status, answer["error_code"]) == (409, 409)
    bot_api.delete_webhook(api_url=fake_bot.url, token=fake_bot.token, timeout=5)
    assert len(call(fake_bot, "getUpdates")[1]["result"]) == 1
    assert call(fake_bot, "getMe")[1]["result"]["username"] == fake_bot.username


def test_a_blocked_chat_answers_403(fake_bot: FakeBotAPI) -> None:
    fake_bot.block(77)
    status, answer = call(fake_bot, "sendMessage", chat_id=77, text="hello")
    assert (status, answer["description"]) == (403, BLOCKED)
    assert call(fake_bot, "sendMessage", chat_id=78, text="hello")[0] == 200
