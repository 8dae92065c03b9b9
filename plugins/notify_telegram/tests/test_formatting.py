"""Text is escaped for the HTML parse mode: the fake Bot API parses entities as
Telegram does and refuses what Telegram would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from marketplace_notify_telegram import bot_api
from marketplace_notify_telegram.channel import TelegramChannel
from marketplace_notify_telegram.formatting import MAX_LENGTH, render
from marketplace_notify_telegram.testing import utf16_length

from marketplace_core.notifications.channels import Notification
from tests.conftest import CHAT_ID

NASTY = '<script>alert("x")</script> Tom & Jerry > 3 <b>not bold</b> &amp; <a href="x">'


def test_markup_in_titles_and_bodies_arrives_as_written(fake_bot: Any) -> None:
    TelegramChannel().send(Notification(
        event="test", title=f"Title {NASTY}", body=f"Body {NASTY}\nsecond line",
        url="https://shop.example.com/p?a=1&b=<2>",
    ))
    [message] = fake_bot.messages
    assert message.parse_mode == "HTML"
    assert message.chat_id == CHAT_ID
    assert message.text == f"Title {NASTY}\n\nBody {NASTY}\nsecond line\n\nOpen"
    assert message.raw_text.startswith("<b>Title &lt;script&gt;alert(&quot;x&quot;)")
    assert '<a href="https://shop.example.com/p?a=1&amp;b=&lt;2&gt;">Open</a>' in message.raw_text
    assert message.payload["link_preview_options"] == {"is_disabled": True}


def test_unescaped_text_is_what_telegram_refuses(fake_bot: Any) -> None:
    """The same text without escaping: the Bot API answers 400 "can't parse entities"."""
    with pytest.raises(bot_api.Rejected) as refused:
        bot_api.send_message(api_url=fake_bot.url, token=fake_bot.token, chat_id=CHAT_ID,
                             text=f"<b>Body</b> {NASTY}", timeout=5)
    assert refused.value.status == 400
    assert refused.value.description.startswith("Bad Request: can't parse entities")
    assert fake_bot.messages == []


def test_only_http_links_are_linked() -> None:
    text = render(Notification(event="test", title="T", url="javascript:alert(1)"))
    assert "href" not in text


def test_long_bodies_are_shortened_to_what_telegram_accepts(fake_bot: Any) -> None:
    body = ("Ünïcödé & <emoji> 🎨 " * 600).strip()
    TelegramChannel().send(Notification(event="test", title="A long one", body=body,
                                        url="https://shop.example.com/x"))
    [message] = fake_bot.messages
    assert utf16_length(message.text) <= MAX_LENGTH
    assert message.text.endswith("…\n\nOpen")
    assert message.text.startswith("A long one\n\nÜnïcödé & <emoji> 🎨 Ünïcödé")
