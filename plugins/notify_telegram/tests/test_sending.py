"""Sending from core's notification task, in process (eager Celery): where
messages go, what a permanent refusal does, and the events the plugin listens to.

Retries need a real worker and broker: see ``test_retries.py``.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.tasks import send_notification
from marketplace_core.ownership import services
from marketplace_core.plugins.manager import get_plugin_manager
from tests.conftest import CHAT_ID, configure


def _send(title: str = "Hello", **data: str) -> str:
    note = Notification(event="test", title=title, body="Body", data=data)
    return send_notification.delay("telegram", note.to_data()).get()


def test_sends_to_the_chat_and_topic(fake_bot: Any, settings: Any) -> None:
    configure(settings, THREAD_ID="42")
    assert _send("To a topic") == "sent"
    [message] = fake_bot.messages
    assert (message.chat_id, message.message_thread_id) == (CHAT_ID, 42)
    assert message.text == "To a topic\n\nBody"


@pytest.mark.parametrize(("status", "reason", "hint"), [
    (400, "Bad Request: chat not found", ""),
    (403, "Forbidden: bot was kicked from the supergroup chat", "add the bot to the chat"),
    (401, "Unauthorized", "check BOT_TOKEN"),
])
def test_a_permanent_refusal_is_logged_with_the_reason_and_not_retried(
    status: int, reason: str, hint: str, fake_bot: Any, caplog: Any
) -> None:
    fake_bot.fail_next(status)
    with caplog.at_level(logging.ERROR, logger="notify_telegram"):
        assert _send("Refused one") == "rejected"
    assert [a.status for a in fake_bot.attempts] == [status]
    [record] = [r for r in caplog.records if r.name == "notify_telegram"]
    assert record.levelno == logging.ERROR
    assert reason in record.getMessage() and "'Refused one'" in record.getMessage()
    assert hint in record.getMessage()
    assert fake_bot.token not in caplog.text


def test_a_group_that_became_a_supergroup_names_the_new_chat_id(fake_bot: Any,
                                                                caplog: Any) -> None:
    fake_bot.fail_next(400, description="Bad Request: group chat was upgraded to a supergroup")
    with caplog.at_level(logging.ERROR, logger="notify_telegram"):
        _send()
    assert "group chat was upgraded to a supergroup" in caplog.text


def test_without_a_broker_rate_limits_are_not_retried_in_the_request(fake_bot: Any,
                                                                     caplog: Any) -> None:
    fake_bot.fail_next(429, retry_after=30)
    with caplog.at_level(logging.WARNING, logger="notify_telegram"):
        assert _send() == "not_retried"
    assert [a.status for a in fake_bot.attempts] == [429]
    assert "configure a Celery broker to retry" in caplog.text


def test_the_same_notification_is_sent_once(fake_bot: Any) -> None:
    assert _send("Once", id="purchase:1") == "sent"
    assert _send("Once", id="purchase:1") == "duplicate"
    assert _send("Other", id="purchase:2") == "sent"
    assert [m.text.split("\n")[0] for m in fake_bot.messages] == ["Once", "Other"]


@pytest.mark.by_database
@pytest.mark.django_db
def test_a_new_purchase_is_announced(fake_bot: Any, make_user: Any, make_product: Any,
                                     django_capture_on_commit_callbacks: Any) -> None:
    buyer = make_user(name="Ada Buyer", email="ada@example.com")
    product = make_product(title="Icon Pack <Deluxe>", price=1999, currency="USD")
    with django_capture_on_commit_callbacks(execute=True):
        order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
        services.confirm_payment(provider="dummy", order_reference=order.reference,
                                 provider_payment_id="pay_1", amount=1999, currency="USD")
    [message] = fake_bot.messages
    assert message.text.startswith("New purchase: Icon Pack <Deluxe>\n\n"
                                   "Ada Buyer <ada@example.com> bought it for ")
    assert "19.99" in message.text


@pytest.mark.by_database
@pytest.mark.django_db
def test_nothing_is_queued_without_a_token(fake_bot: Any, settings: Any, make_user: Any,
                                           make_product: Any,
                                           django_capture_on_commit_callbacks: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "notify_telegram": {}}
    with django_capture_on_commit_callbacks(execute=True):
        order = services.start_checkout(buyer=make_user(), product=make_product(),
                                        provider="dummy")
        services.confirm_payment(provider="dummy", order_reference=order.reference,
                                 provider_payment_id="pay_2", amount=order.amount,
                                 currency=order.currency)
    assert fake_bot.attempts == []


def test_registered_as_a_notification_channel() -> None:
    from marketplace_notify_telegram.channel import TelegramChannel

    from marketplace_core.plugins.registry import notification_channels

    assert isinstance(notification_channels()["telegram"], TelegramChannel)


def test_loads_without_the_support_plugin() -> None:
    """The support hooks are optional: no spec, no error, and the manager accepts them."""
    pm = get_plugin_manager()
    pm.check_pending()
    for name in ("support_request_created", "support_request_status_changed"):
        caller = getattr(pm.hook, name)
        assert caller.spec is None  # the support plugin is not enabled here
        assert [impl.plugin_name for impl in caller.get_hookimpls()] == ["notify_telegram"]
