"""Receipts: one email per paid order, a signed link to the purchase, refund notices.

Emails go through Django's locmem backend here (the Celery tasks run eagerly on
commit); ``integration/test_buyer_emails.py`` delivers them to a real SMTP
server from a real worker.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from marketplace_core.notifications.preferences import NotificationPreference
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.payments.dummy import build_delivery
from marketplace_core.receipts.tasks import send_receipt
from tests.payments_support import fake_plugins, post_webhook
from tests.test_panels_customer import ReceiptProvider, receipting_plugin

# Real commits: receipts are queued when the payment's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

SITE = "https://shop.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_NAME": "Paper Shop", "SITE_URL": SITE}
    from django.core.cache import cache

    cache.clear()  # rate-limit counts of earlier tests


@pytest.fixture
def buyer(make_user):
    return make_user(email="ada@example.com", name="Ada Buyer")


@pytest.fixture
def product(make_product, make_seller):
    # Buyer emails only here: the seller has switched off their "New sale" emails
    # (tests/test_seller_notifications.py is about those).
    seller = make_seller()
    NotificationPreference.objects.create(user=seller, event="sale", channel="email",
                                          enabled=False)
    return make_product(seller=seller, title="Field Guide", price=1999, currency="USD")


def checkout(buyer, product, *, provider: str = "dummy", language: str = "en",
             billing: dict[str, str] | None = None) -> Order:
    return services.start_checkout(buyer=buyer, product=product, provider=provider,
                                   billing=billing, language=language, site_url="http://ignored")


def deliver(order: Order, event: str = "payment.succeeded", payment_id: str = "pay_1",
            **extra: Any) -> None:
    """The dummy provider's signed webhook for ``order`` (a new delivery id each time)."""
    data = {"order_reference": str(order.reference), "payment_id": payment_id,
            "amount": order.amount, "currency": order.currency, **extra}
    assert post_webhook(Client(), *build_delivery(event, data)).status_code == 200


def emails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def link_of(message: Any) -> str:
    """The one link into the shop (other than its home page), the same in both parts."""
    pattern = re.escape(SITE) + r"(/[^\s\"<>]+)"
    text = set(re.findall(pattern, message.body)) - {"/"}
    html = set(re.findall(pattern, message.alternatives[0][0])) - {"/"}
    assert len(text) == 1 and text == html, (text, html)
    return text.pop()


# ---------------------------------------------------------------------------
# the receipt
# ---------------------------------------------------------------------------


def test_a_confirmed_payment_sends_one_receipt_with_the_order_and_a_link(buyer, product):
    order = checkout(buyer, product, billing={"email": "receipts@ada.example"})
    assert mail.outbox == []

    deliver(order)

    (receipt,) = mail.outbox
    assert receipt.to == ["receipts@ada.example"]  # the address given at checkout
    assert receipt.subject == "Your receipt for Field Guide from Paper Shop"
    assert receipt.extra_headers["Auto-Submitted"] == "auto-generated"
    html = receipt.alternatives[0][0]
    for part in (receipt.body, html):
        assert "Field Guide" in part and "$19.99" in part and "Paper Shop" in part
        assert str(order.reference) in part
        assert "7 days" in part
    assert link_of(receipt).startswith("/receipts/")


def test_the_amount_reads_as_the_buyers_language_writes_it(buyer, product):
    order = checkout(buyer, product, language="de")
    deliver(order)
    (receipt,) = mail.outbox
    assert "19,99\xa0$" in receipt.body
    assert "$19.99" not in receipt.body


def test_the_providers_invoice_link_is_in_the_receipt(buyer, product):
    with fake_plugins(receipting_plugin()):
        order = checkout(buyer, product, provider=ReceiptProvider.identifier)
        services.confirm_payment(provider=ReceiptProvider.identifier,
                                 order_reference=order.reference, provider_payment_id="pay_9",
                                 amount=order.amount, currency=order.currency)
    (receipt,) = mail.outbox
    assert "https://pay.example/receipts/pay_9" in receipt.body
    assert 'href="https://pay.example/receipts/pay_9"' in receipt.alternatives[0][0]


def test_a_redelivered_confirmation_or_task_sends_no_second_receipt(buyer, product):
    order = checkout(buyer, product)
    deliver(order)
    deliver(order)  # the provider sends the success again (a new delivery id)
    deliver(order, payment_id="pay_2")  # a second charge: flagged for a human, no receipt
    # The broker delivers the task again, under its id and under another.
    assert send_receipt.apply(args=(order.pk,), task_id="t-1").get() is False
    assert send_receipt.apply(args=(order.pk,), task_id="t-2").get() is False
    assert len(mail.outbox) == 1


def test_failed_and_processing_payments_send_nothing(buyer, product):
    order = checkout(buyer, product)
    deliver(order, "payment.processing")
    deliver(order, "payment.failed", reason="The card was declined.")
    assert mail.outbox == []
    assert send_receipt.apply(args=(order.pk,)).get() is False


def test_a_late_success_after_a_failure_sends_the_receipt(buyer, product):
    order = checkout(buyer, product)
    deliver(order, "payment.failed", payment_id="pay_1")
    deliver(order, payment_id="pay_2")
    assert len(emails_to(buyer.email)) == 1


# ---------------------------------------------------------------------------
# the link
# ---------------------------------------------------------------------------


@pytest.fixture
def paid(buyer, product) -> Order:
    order = checkout(buyer, product)
    deliver(order)
    return order


def test_the_link_takes_the_logged_in_buyer_to_the_purchase_and_its_download(client, buyer,
                                                                             paid):
    client.force_login(buyer)
    response = client.get(link_of(mail.outbox[0]), follow=True)
    assert response.redirect_chain[-1][0] == f"/account/purchases/{paid.reference}/"
    page = response.content.decode()
    assert "Field Guide" in page and "$19.99" in page
    assert f'href="/products/{paid.product.slug}/download/"' in page


def test_the_link_asks_a_visitor_to_log_in_then_leads_to_the_purchase(client, buyer, paid):
    response = client.get(link_of(mail.outbox[0]))
    assert response.status_code == 302
    assert response["Location"] == (f"/accounts/login/?next=/account/purchases/"
                                    f"{paid.reference}/")


def test_the_link_opens_nothing_for_another_account(client, make_user, paid):
    client.force_login(make_user())
    response = client.get(link_of(mail.outbox[0]))
    assert response.status_code == 403
    assert "belongs to another account" in response.content.decode()
    # Nor does the purchase page itself.
    assert client.get(f"/account/purchases/{paid.reference}/").status_code == 404


def test_a_changed_link_is_refused(client, buyer, paid):
    client.force_login(buyer)
    link = link_of(mail.outbox[0])
    response = client.get(link[:-3] + "xyz/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_an_expired_link_offers_a_fresh_one_by_email(settings, client, buyer, paid):
    link = link_of(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        client.force_login(buyer)
        page = client.get(link)
        assert page.status_code == 410
        assert "expired" in page.content.decode()
        token = re.search(r'name="token" value="([^"]+)"', page.content.decode())[1]
        sent = client.post("/receipts/fresh/", {"token": token})
        assert sent.status_code == 200
        assert "Check your email" in sent.content.decode()
        assert len(mail.outbox) == 2
        fresh = link_of(mail.outbox[1])
        assert fresh != link
        assert client.get(fresh)["Location"] == f"/account/purchases/{paid.reference}/"


def test_the_link_lifetime_is_a_setting(settings, client, buyer, paid):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "RECEIPT_LINK_TTL": 3600}
    link = link_of(mail.outbox[0])
    client.force_login(buyer)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert client.get(link).status_code == 410


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_fresh_links_answer_alike_and_are_rate_limited_per_order(client, buyer, make_product,
                                                                 paid):
    from marketplace_core.receipts.links import make_token

    pending = checkout(buyer, make_product())  # not paid: no link is sent for it
    answers = [client.post("/receipts/fresh/", {"token": make_token(order.reference)})
               for order in (pending, paid)]
    cards = [re.search(r'<div class="auth-card".*?</div>', a.content.decode(), re.S)[0]
             for a in answers]
    assert cards[0] == cards[1] and "Check your email" in cards[0]
    assert len(mail.outbox) == 2  # the receipt and one fresh link, none for the pending order
    client.post("/receipts/fresh/", {"token": make_token(paid.reference)})
    client.post("/receipts/fresh/", {"token": make_token(paid.reference)})
    refused = client.post("/receipts/fresh/", {"token": make_token(paid.reference)})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert len(mail.outbox) == 4  # three per order and hour


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_fresh_links_are_rate_limited_per_address(settings, client, paid):
    from marketplace_core.receipts.links import make_token

    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"receipt_emails": "1/h"}}
    assert client.post("/receipts/fresh/", {"token": make_token(paid.reference)}
                       ).status_code == 200
    assert client.post("/receipts/fresh/", {"token": make_token(paid.reference)}
                       ).status_code == 429


def test_asking_for_a_fresh_link_needs_the_csrf_token(buyer, paid):
    from marketplace_core.receipts.links import make_token

    client = Client(enforce_csrf_checks=True)
    assert client.post("/receipts/fresh/", {"token": make_token(paid.reference)}
                       ).status_code == 403
    assert len(mail.outbox) == 1


# ---------------------------------------------------------------------------
# refunds and resending
# ---------------------------------------------------------------------------


def test_a_refund_sends_one_notice_that_access_has_ended(client, buyer, paid):
    for _ in range(2):
        deliver(paid, "refund.succeeded", refund_id="re_1")
    deliver(paid, "refund.succeeded", refund_id="re_2")  # a second one changes nothing
    notices = [m for m in mail.outbox if "refunded" in m.subject]
    assert len(notices) == 1
    assert notices[0].to == [buyer.email]
    assert "Access to the download has ended" in notices[0].body
    client.force_login(buyer)
    page = client.get(f"/account/purchases/{paid.reference}/").content.decode()
    assert 'data-access="ended"' in page and "/download/" not in page


def test_a_partial_refund_tells_the_buyer_the_amount_and_that_access_stays(buyer, paid):
    for _ in range(2):  # redelivered: one notice
        deliver(paid, "refund.succeeded", refund_id="re_1", amount=500)
    deliver(paid, "refund.succeeded", refund_id="re_2", amount=600)
    partial = [m for m in mail.outbox if m.subject.startswith("Part of your order")]
    assert [m.subject for m in partial] == ["Part of your order of Field Guide was refunded"] * 2
    assert partial[0].to == [buyer.email]
    assert "Refunded: $5.00 (of $19.99)" in partial[0].body
    assert "Refunded: $6.00 (of $19.99)" in partial[1].body
    assert "You keep your access to the download" in partial[0].body
    assert "$5.00" in partial[0].alternatives[0][0]

    deliver(paid, "refund.succeeded", refund_id="re_3", amount=899)  # the rest
    subjects = [m.subject for m in mail.outbox if "refunded" in m.subject]
    assert subjects[2:] == ["Your order of Field Guide was refunded"]


def test_no_refund_notice_for_an_order_never_paid(buyer, product):
    order = checkout(buyer, product)
    deliver(order, "refund.succeeded", refund_id="re_1")
    assert mail.outbox == []


def test_resend_receipt_from_the_order_history(client, buyer, paid):
    client.force_login(buyer)
    history = client.get("/account/orders/").content.decode()
    assert f'action="/account/orders/{paid.reference}/receipt/"' in history
    response = client.post(f"/account/orders/{paid.reference}/receipt/", follow=True)
    assert response.redirect_chain == [("/account/orders/", 302)]
    assert "The receipt is on its way" in response.content.decode()
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == mail.outbox[0].subject


def test_resend_receipt_is_a_post_with_csrf_for_the_buyers_paid_orders(buyer, make_product,
                                                                      make_user, paid):
    url = f"/account/orders/{paid.reference}/receipt/"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(buyer)
    assert strict.post(url).status_code == 403
    assert strict.get(url).status_code == 405
    other = Client()
    other.force_login(make_user())
    assert other.post(url).status_code == 404
    pending = checkout(buyer, make_product())
    mine = Client()
    mine.force_login(buyer)
    assert mine.post(f"/account/orders/{pending.reference}/receipt/").status_code == 404
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_resend_receipt_is_rate_limited(client, buyer, paid):
    client.force_login(buyer)
    url = f"/account/orders/{paid.reference}/receipt/"
    assert [client.post(url).status_code for _ in range(4)] == [302, 302, 302, 429]
    assert len(mail.outbox) == 4  # the receipt and three resent
