"""Sellers' own Telegram chats: "Connect Telegram" in the profile gives a deep
link; pressing Start in Telegram (through the webhook or getUpdates polling)
connects the chat; the seller's notifications go there until they disconnect
or block the bot."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from marketplace_notify_telegram.models import ConnectToken, TelegramChat, UpdateOffset
from marketplace_notify_telegram.tasks import poll_updates
from marketplace_notify_telegram.testing import BOT_USERNAME, FakeBotAPI

from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.preferences import NotificationPreference
from marketplace_core.notifications.tasks import send_notification
from marketplace_core.ownership.models import Order
from marketplace_core.testing.factories import buy, logged_in, make_product, make_user
from tests.conftest import CHAT_ID, configure
from tests.test_fake_updates import call

SELLER_CHAT = 5550001
SECRET = "s3cret-webhook-token_0123456789abcdef"
SITE = "https://shop.example"


@pytest.fixture
def bot(fake_bot: FakeBotAPI, settings: Any) -> FakeBotAPI:
    """The fake, with sellers' chats on (polling: no webhook secret)."""
    configure(settings, BOT_USERNAME=BOT_USERNAME)
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": SITE, "SITE_NAME": "Paper Shop"}
    return fake_bot


@pytest.fixture
def seller(make_seller: Any) -> Any:
    return make_seller(email="sam@example.com", name="Sam Seller")


def _connect_link(seller: Any) -> str:
    response = logged_in(seller).post("/telegram/connect/")
    assert response.status_code == 302
    return str(response["Location"])


def _token(link: str) -> str:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", f"/{BOT_USERNAME}")
    [token] = parse_qs(parts.query)["start"]
    return token


@pytest.fixture
def poll(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the periodic task once (its replies are queued on commit); how many
    updates it read."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return int(poll_updates.delay().get())

    return run


def _replies(bot: FakeBotAPI, chat: int = SELLER_CHAT) -> list[str]:
    return [m.text for m in bot.messages if m.chat_id == str(chat)]


def _connected(bot: FakeBotAPI, seller: Any, poll: Any) -> TelegramChat:
    bot.user_starts(_token(_connect_link(seller)), chat_id=SELLER_CHAT, first_name="Sam")
    assert poll() == 1
    return TelegramChat.objects.get(user=seller)


# --- connecting ---------------------------------------------------------------

@pytest.mark.django_db
def test_connect_by_polling_and_each_update_is_read_once(poll: Any, bot: FakeBotAPI,
                                                         seller: Any) -> None:
    link = _connect_link(seller)
    token = _token(link)
    assert len(token) >= 32 and not ConnectToken.objects.filter(digest=token).exists()

    update = bot.user_starts(token, chat_id=SELLER_CHAT, first_name="Sam")
    assert not TelegramChat.objects.exists()  # nothing until the poll
    assert poll() == 1

    chat = TelegramChat.objects.get(user=seller)
    assert (chat.chat_id, chat.chat_name) == (str(SELLER_CHAT), "Sam")
    assert _replies(bot) == ["Connected as Sam Seller at Paper Shop. Your notifications "
                             "arrive here; disconnect in your profile."]
    assert UpdateOffset.objects.get().offset == update["update_id"] + 1
    # The next poll confirms it: nothing is read twice, no second reply.
    assert poll() == 0
    assert bot.pending_updates == []
    assert len(_replies(bot)) == 1
    html = logged_in(seller).get("/seller/profile/").content.decode()
    assert "Connected" in html and "Disconnect Telegram" in html and "<strong>Sam</strong>" in html


@pytest.mark.django_db
def test_a_used_token_is_refused(poll: Any, bot: FakeBotAPI, seller: Any) -> None:
    token = _token(_connect_link(seller))
    bot.user_starts(token, chat_id=SELLER_CHAT)
    bot.user_starts(token, chat_id=6660002, first_name="Mallory")  # the link, forwarded
    assert poll() == 2

    assert list(TelegramChat.objects.values_list("chat_id", flat=True)) == [str(SELLER_CHAT)]
    [refusal] = _replies(bot, 6660002)
    assert refusal.startswith("This link has expired or was already used.")


@pytest.mark.django_db
def test_an_expired_token_is_refused(poll: Any, bot: FakeBotAPI, seller: Any,
                                     settings: Any) -> None:
    configure(settings, CONNECT_TTL=60)
    token = _token(_connect_link(seller))
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        bot.user_starts(token, chat_id=SELLER_CHAT)
        poll()

    assert not TelegramChat.objects.exists()
    assert _replies(bot)[0].startswith("This link has expired or was already used.")


@pytest.mark.django_db
def test_a_new_link_replaces_the_old_one(poll: Any, bot: FakeBotAPI, seller: Any) -> None:
    old = _token(_connect_link(seller))
    new = _token(_connect_link(seller))
    bot.user_starts(old, chat_id=SELLER_CHAT)
    poll()
    assert not TelegramChat.objects.exists()
    bot.user_starts(new, chat_id=SELLER_CHAT)
    poll()
    assert TelegramChat.objects.filter(user=seller).exists()


@pytest.mark.django_db
def test_start_without_a_token_explains(poll: Any, bot: FakeBotAPI) -> None:
    bot.user_sends("/start", chat_id=SELLER_CHAT)
    bot.user_sends("hello there", chat_id=SELLER_CHAT)
    assert poll() == 2
    [hello] = _replies(bot)
    assert "press \u201cConnect Telegram\u201d" in hello
    assert not TelegramChat.objects.exists()


@pytest.mark.django_db
def test_only_sellers_connect_and_only_by_post(bot: FakeBotAPI, seller: Any) -> None:
    assert logged_in(make_user()).post("/telegram/connect/").status_code == 403
    assert logged_in(seller).get("/telegram/connect/").status_code == 405
    anonymous = Client().post("/telegram/connect/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(seller)
    assert csrf_client.post("/telegram/connect/").status_code == 403
    assert not ConnectToken.objects.exists()


@pytest.mark.django_db
def test_connect_is_rate_limited(bot: FakeBotAPI, seller: Any) -> None:
    client = logged_in(seller)
    for _ in range(10):
        assert client.post("/telegram/connect/")["Location"].startswith("https://t.me/")
    response = client.post("/telegram/connect/", follow=True)
    assert response.redirect_chain == [("/seller/profile/", 302)]
    assert "Too many Telegram links" in response.content.decode()


# --- the webhook --------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_connect_through_the_webhook(poll: Any, bot: FakeBotAPI, seller: Any, settings: Any,
                                     live_server: Any) -> None:
    configure(settings, WEBHOOK_SECRET=SECRET)
    call_command("telegram_webhook", "set", url=f"{live_server.url}/telegram/webhook/")
    _, info = call(bot, "getWebhookInfo")
    assert info["result"]["url"] == f"{live_server.url}/telegram/webhook/"

    update = bot.user_starts(_token(_connect_link(seller)), chat_id=SELLER_CHAT)

    [delivery] = bot.webhook_deliveries
    assert (delivery.update_id, delivery.status) == (update["update_id"], 200)
    assert json.loads(delivery.body) == {"ok": True, "outcome": "connected"}
    assert TelegramChat.objects.get(user=seller).chat_id == str(SELLER_CHAT)
    [reply] = bot.wait_for_messages(1)
    assert reply.text.startswith("Connected as Sam Seller")
    # While the webhook is set, getUpdates is refused (409), and the poll does not ask.
    assert call(bot, "getUpdates")[1]["error_code"] == 409
    assert poll() == 0


@pytest.mark.django_db
def test_the_webhook_refuses_a_wrong_or_missing_secret(bot: FakeBotAPI, seller: Any,
                                                       settings: Any) -> None:
    configure(settings, WEBHOOK_SECRET=SECRET)
    token = _token(_connect_link(seller))
    update = {"update_id": 1, "message": {
        "message_id": 1, "date": 0, "text": f"/start {token}",
        "chat": {"id": SELLER_CHAT, "type": "private", "first_name": "Eve"}}}
    for headers in ({}, {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": SECRET[:-1] + "X"}):
        response = Client().post("/telegram/webhook/", update, content_type="application/json",
                                 **headers)
        assert response.status_code == 403
        assert response.json() == {
            "ok": False, "error": "Wrong or missing X-Telegram-Bot-Api-Secret-Token header."}
    assert not TelegramChat.objects.exists()
    assert bot.messages == []
    # The right secret, bad bodies: 400 with JSON, never a 500.
    right = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": SECRET}
    bad = Client().post("/telegram/webhook/", "not json", content_type="application/json",
                        **right)
    assert (bad.status_code, bad.json()["ok"]) == (400, False)
    weird = Client().post("/telegram/webhook/", [1], content_type="application/json", **right)
    assert weird.status_code == 400
    # The token still works for its owner.
    ok = Client().post("/telegram/webhook/", update, content_type="application/json", **right)
    assert ok.json() == {"ok": True, "outcome": "connected"}
    # Telegram redelivering the same update changes nothing.
    again = Client().post("/telegram/webhook/", update, content_type="application/json", **right)
    assert again.json() == {"ok": True, "outcome": "seen"}


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
@pytest.mark.django_db
def test_the_webhook_stops_answering_an_address_that_keeps_guessing(
        bot: FakeBotAPI, settings: Any) -> None:
    configure(settings, WEBHOOK_SECRET=SECRET)
    statuses = [Client().post("/telegram/webhook/", {}, content_type="application/json",
                              HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="guess").status_code
                for _ in range(21)]
    assert statuses == [403] * 20 + [429]


@pytest.mark.django_db
def test_without_a_secret_there_is_no_webhook(bot: FakeBotAPI) -> None:
    response = Client().post("/telegram/webhook/", {}, content_type="application/json")
    assert response.status_code == 404 and response.json()["ok"] is False


# --- notifications ------------------------------------------------------------

def _sale_texts(bot: FakeBotAPI, seller: Any, capture: Any, title: str = "Field Guide"
                ) -> list[str]:
    """Someone buys a product of ``seller``: what their chat got about it."""
    with capture(execute=True):
        buy(make_user(name="Bea Buyer"), make_product(seller=seller, title=title))
    return [text for text in _replies(bot) if text.startswith("New sale")]


@pytest.mark.django_db
def test_a_sale_reaches_the_sellers_chat_and_the_operators(
        poll: Any, bot: FakeBotAPI, seller: Any, django_capture_on_commit_callbacks: Any) -> None:
    _connected(bot, seller, poll)

    [sale] = _sale_texts(bot, seller, django_capture_on_commit_callbacks)
    assert sale.startswith("New sale: Field Guide\n\nBea Buyer bought Field Guide for ")
    [message] = [m for m in bot.messages if m.text.startswith("New sale")]
    order = Order.objects.get(product__seller=seller)
    assert f'<a href="{SITE}/seller/sales/{order.reference}/">Open</a>' in message.raw_text
    # The operators' chat still hears about every purchase.
    assert [m.text.split("\n")[0] for m in bot.messages if m.chat_id == CHAT_ID] == [
        "New purchase: Field Guide"]


@pytest.mark.django_db
def test_switched_off_for_telegram_nothing_reaches_the_chat(
        poll: Any, bot: FakeBotAPI, seller: Any, django_capture_on_commit_callbacks: Any) -> None:
    _connected(bot, seller, poll)
    NotificationPreference.objects.create(user=seller, event="sale", channel="telegram",
                                          enabled=False)
    assert _sale_texts(bot, seller, django_capture_on_commit_callbacks) == []


@pytest.mark.django_db
def test_disconnect_stops_the_notifications(
        poll: Any, bot: FakeBotAPI, seller: Any, django_capture_on_commit_callbacks: Any) -> None:
    _connected(bot, seller, poll)

    response = logged_in(seller).post("/telegram/disconnect/", follow=True)

    assert response.redirect_chain == [("/seller/profile/", 302)]
    html = response.content.decode()
    assert "Telegram is disconnected" in html and "Connect Telegram" in html
    assert not TelegramChat.objects.exists()
    assert _sale_texts(bot, seller, django_capture_on_commit_callbacks) == []


@pytest.mark.django_db
def test_a_blocked_bot_disconnects_the_chat_without_retrying(
        poll: Any, bot: FakeBotAPI, seller: Any, caplog: Any) -> None:
    _connected(bot, seller, poll)
    bot.block(SELLER_CHAT)
    note = Notification(event="sale", title="New sale: Atlas", data={"id": "sale:1"},
                        recipient_id=str(seller.pk))

    assert send_notification.delay("telegram", note.to_data()).get() == "rejected"

    assert not TelegramChat.objects.exists()
    to_seller = [a for a in bot.attempts
                 if a.method == "sendMessage" and a.payload.get("chat_id") == str(SELLER_CHAT)]
    assert [a.status for a in to_seller] == [200, 403]  # the "Connected" reply, the refusal
    assert "bot was blocked by the user" in caplog.text and "disconnected" in caplog.text
    # Later notifications are not even queued for the chat.
    from marketplace_core.plugins.registry import notification_channels

    assert not notification_channels()["telegram"].accepts(note)


@pytest.mark.django_db
def test_the_profile_offers_connect_only_when_configured(fake_bot: FakeBotAPI, seller: Any,
                                                         settings: Any) -> None:
    html = logged_in(seller).get("/seller/profile/").content.decode()
    assert "Connect Telegram" not in html  # no BOT_USERNAME
    configure(settings, BOT_USERNAME=BOT_USERNAME)
    html = logged_in(seller).get("/seller/profile/").content.decode()
    assert 'action="/telegram/connect/"' in html and "Connect Telegram" in html
    assert 'name="sale__telegram"' in html  # a switch for the channel
    assert "Connect Telegram" not in logged_in(make_user()).get(
        "/account/profile/").content.decode()
