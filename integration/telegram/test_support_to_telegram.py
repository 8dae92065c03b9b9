"""Support requests reach Telegram through every real part: the example site with
``support`` and ``notify_telegram``, PostgreSQL, Redis, a Celery worker and the
fake Bot API over HTTP. A new request gives exactly one message, also when the
first try was answered 429."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.testing.contracts_storage import buy

pytestmark = pytest.mark.django_db(transaction=True)

SUPPORT = "New support request: "
PURCHASE = "New purchase: "
#: Long enough for a wrongly repeated send (or an early retry) to show up.
SETTLE = 2.0


def texts(fake: Any, prefix: str) -> list[str]:
    return [m.text for m in fake.messages if m.text.startswith(prefix)]


def wait_for_text(fake: Any, prefix: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not texts(fake, prefix):
        assert time.monotonic() < deadline, f"no {prefix!r} message: {fake.attempts!r}"
        time.sleep(0.05)


@pytest.fixture
def bought(telegram_worker: Any, make_user: Any, make_seller: Any, make_product: Any,
           fake_bot: Any) -> Any:
    """A buyer who owns a product; the purchase's own message has arrived."""
    seller = make_seller(name="Sam Seller")
    product = make_product(seller=seller, title="Brush Set <Pro>")
    buyer = make_user(name="Bea Buyer", email="bea@example.com")
    purchase = buy(buyer, product)
    wait_for_text(fake_bot, PURCHASE)
    return purchase


def open_request(purchase: PurchasedProduct) -> None:
    client = Client()
    client.force_login(purchase.buyer)
    response = client.post(f"/support/new/{purchase.pk}/", {
        "subject": "Which paper & size?", "message": "Does it work on <A4> paper?",
    })
    assert response.status_code == 302, response.content[:500]


def test_plugins_enabled_by_the_environment() -> None:
    assert settings.MARKETPLACE["PLUGINS"][-1] == "notify_telegram"
    assert "support" in settings.MARKETPLACE["PLUGINS"]


def test_a_new_support_request_sends_exactly_one_message(telegram_worker: Any, fake_bot: Any,
                                                         bought: PurchasedProduct) -> None:
    open_request(bought)
    wait_for_text(fake_bot, SUPPORT)
    time.sleep(SETTLE)
    assert texts(fake_bot, SUPPORT) == [
        "New support request: Which paper & size?\n\n"
        "Brush Set <Pro>\nfrom Bea Buyer <bea@example.com>\n\nDoes it work on <A4> paper?"
    ]
    assert len(fake_bot.messages) == 2  # the purchase, then the request
    assert [a.status for a in fake_bot.attempts] == [200, 200]
    assert {m.chat_id for m in fake_bot.messages} == {"-1001234567890"}


def test_after_a_429_the_message_still_arrives_exactly_once(telegram_worker: Any, fake_bot: Any,
                                                            bought: PurchasedProduct) -> None:
    fake_bot.fail_next(429, retry_after=1)
    open_request(bought)
    wait_for_text(fake_bot, SUPPORT)
    time.sleep(SETTLE)
    assert len(texts(fake_bot, SUPPORT)) == 1
    support_attempts = [a for a in fake_bot.attempts
                        if str(a.payload.get("text", "")).startswith(f"<b>{SUPPORT}")]
    # The fake answers 429 again to a retry that comes before retry_after.
    assert [a.status for a in support_attempts] == [429, 200]
    assert support_attempts[1].received_at - support_attempts[0].received_at >= 1.0
    assert "retry 1 of 5" in telegram_worker.output()


def test_the_sellers_status_change_is_announced_once(telegram_worker: Any, fake_bot: Any,
                                                     bought: PurchasedProduct) -> None:
    open_request(bought)
    wait_for_text(fake_bot, SUPPORT)
    seller = Client()
    seller.force_login(bought.product.seller)
    support_request_id = bought.support_requests.get().pk
    response = seller.post(f"/support/incoming/{support_request_id}/", {
        "status": "in_progress", "meeting_link": "https://meet.example.com/abc", "admin_notes": "x",
    })
    assert response.status_code == 302
    wait_for_text(fake_bot, "Support request in progress: ")
    time.sleep(SETTLE)
    assert texts(fake_bot, "Support request in progress: ") == [
        "Support request in progress: Which paper & size?\n\n"
        "Brush Set <Pro>\nfrom Bea Buyer <bea@example.com>\n\nPending → In progress"
    ]
