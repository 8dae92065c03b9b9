"""Webhooks as Dodo really sends them: over HTTP, repeated, retried and out of order.

The fake Dodo delivers to pytest-django's live server; the buyer presses Pay
on the fake's hosted checkout page, as in a browser.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from django.urls import reverse
from marketplace_payments_dodo.testing import FakeDodo, WebhookMode

from marketplace_core.ownership import services
from marketplace_core.ownership.models import (
    Dispute,
    Order,
    Payment,
    PurchasedProduct,
    WebhookDelivery,
)
from marketplace_core.testing.contracts import accept_many_connections, browser_session
from tests.conftest import configure_secrets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

GENERIC = "/payments/webhooks/dodo/"


@pytest.fixture
def site(live_server: Any, dodo: FakeDodo) -> Any:
    dodo.webhook_url = live_server.url + GENERIC
    return accept_many_connections(live_server)


@pytest.fixture
def buyer(make_user):
    return make_user(email="buyer@example.com", name="Ada Buyer")


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD")


def start_checkout(site, client, buyer, product) -> tuple[requests.Session, str, Order]:
    """The buyer fills in the billing form; returns their session, the hosted page, the order."""
    session = browser_session(client, buyer)
    url = site.url + reverse("marketplace:checkout", kwargs={"slug": product.slug})
    page = session.get(url)
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = session.post(url, allow_redirects=False, headers={"Referer": url}, data={
        "name": "Ada Buyer", "email": buyer.email, "country": "DE",
        "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.text[:300]
    order = Order.objects.get(buyer=buyer, product=product, status=Order.Status.PENDING)
    return session, response.headers["Location"], order


def press(session: requests.Session, hosted: str, button: str) -> requests.Response:
    page = session.get(hosted)
    assert f">{button.title()}</button>" in page.text
    return session.post(f"{hosted}/{button}")


def test_pay_on_the_hosted_page_then_the_webhook_grants(site, dodo, client, buyer, product):
    session, hosted, order = start_checkout(site, client, buyer, product)

    landing = press(session, hosted, "pay")

    # Dodo sends the buyer back to the success page of their order; the webhook
    # races the redirect, so the page either waits for it or (webhook first)
    # already forwards to My Products.
    returned_to = landing.history[1].url if len(landing.history) > 1 else landing.url
    assert returned_to.startswith(site.url + reverse("marketplace:payment_success"))
    assert f"order={order.reference}" in returned_to
    assert landing.url in (returned_to, site.url + reverse("marketplace:my_products"))
    dodo.wait_for_webhooks()
    assert [(w.event_type, w.attempts) for w in dodo.webhooks] == [
        ("payment.processing", [200]), ("payment.succeeded", [200])]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert services.owns(buyer, product)
    payment = Payment.objects.get(order=order)
    assert payment.provider_payment_id == dodo.checkout_of(str(order.reference))["payment_id"]
    assert payment.status == Payment.Status.SUCCEEDED
    home = session.get(site.url + reverse("marketplace:payment_success"),
                       params={"order": str(order.reference)})
    assert home.url == site.url + reverse("marketplace:my_products")
    assert "Field Guide" in home.text


def test_fail_on_the_hosted_page_fails_the_order_and_a_new_attempt_can_pay(
    site, dodo, client, buyer, product
):
    session, hosted, order = start_checkout(site, client, buyer, product)
    press(session, hosted, "fail")
    dodo.wait_for_webhooks()
    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert Payment.objects.get(order=order).failure_reason == "The card was declined."

    session, hosted, retry = start_checkout(site, client, buyer, product)
    press(session, hosted, "pay")
    dodo.wait_for_webhooks()

    retry.refresh_from_db()
    assert retry.pk != order.pk
    assert retry.status == Order.Status.PAID
    assert services.owns(buyer, product)


def test_duplicate_deliveries_grant_once(site, dodo, client, buyer, product):
    dodo.webhook_mode = WebhookMode(copies=5)
    session, hosted, order = start_checkout(site, client, buyer, product)

    press(session, hosted, "pay")
    dodo.wait_for_webhooks()

    assert PurchasedProduct.objects.filter(order=order).count() == 1
    assert Payment.objects.count() == 1
    assert WebhookDelivery.objects.count() == 2  # processing and succeeded, once each


def test_failed_delivery_is_retried_until_the_site_accepts_it(site, dodo, client, buyer,
                                                             product, settings):
    session, hosted, _order = start_checkout(site, client, buyer, product)
    real_secret = dodo.webhook_secret
    configure_secrets(settings, "whsec_" + "c2l0ZS1oYXMtdGhlLXdyb25nLXNlY3JldC1ub3c=")
    dodo.webhook_mode = WebhookMode(max_attempts=20, retry_delay=0.2)

    press(session, hosted, "pay")
    record = dodo.webhooks[0]
    deadline = time.monotonic() + 10
    while not record.attempts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert record.attempts[0] == 400  # refused while the site had the wrong secret
    assert not services.owns(buyer, product)
    configure_secrets(settings, real_secret)  # the operator fixes the configuration
    dodo.wait_for_webhooks()

    assert all(w.delivered for w in dodo.webhooks)
    assert record.attempts[-1] == 200
    assert services.owns(buyer, product)


def test_out_of_order_delivery_ends_in_the_documented_state(site, dodo, client, buyer,
                                                            product):
    session, hosted, order = start_checkout(site, client, buyer, product)
    dodo.hold_webhooks()
    press(session, hosted, "pay")
    payment_id = dodo.checkout_of(str(order.reference))["payment_id"]
    dispute_id = dodo.dispute(payment_id, status="dispute_opened")
    dodo.dispute(payment_id, status="dispute_won", dispute_id=dispute_id)
    dodo.refund(payment_id, reason="Asked for it")

    sent = dodo.release_webhooks("reverse")
    dodo.wait_for_webhooks()

    assert sent == ["refund.succeeded", "dispute.won", "dispute.opened", "payment.succeeded",
                    "payment.processing"]
    assert all(w.attempts == [200] for w in dodo.webhooks)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert not services.owns(buyer, product)
    assert Dispute.objects.get(order=order).status == Dispute.Status.WON
    # The refund arrived first: the plugin asked Dodo which order the payment belongs to.
    assert [(e.method, e.route) for e in dodo.exchanges][-1] == ("GET", "/payments/{payment_id}")


def test_shuffled_delivery_of_many_orders_ends_right_for_each(site, dodo, client, make_user,
                                                              make_product):
    orders = []
    dodo.hold_webhooks()
    for i in range(6):
        buyer, product = make_user(), make_product(price=1000 + i)
        session, hosted, order = start_checkout(site, client, buyer, product)
        press(session, hosted, "pay" if i % 3 else "fail")
        if i % 2:
            dodo.refund(dodo.checkout_of(str(order.reference))["payment_id"])
        orders.append((order, i))

    dodo.release_webhooks("shuffle", seed=7)
    dodo.wait_for_webhooks()

    for order, i in orders:
        order.refresh_from_db()
        if i % 2:
            expected = Order.Status.REFUNDED
        else:
            expected = Order.Status.PAID if i % 3 else Order.Status.FAILED
        assert order.status == expected, (i, order.status)
        assert services.owns(order.buyer, order.product) == (expected == Order.Status.PAID)


def test_refund_before_its_payment_is_deferred_while_dodo_is_down(site, dodo, client, buyer,
                                                                  product):
    session, hosted, order = start_checkout(site, client, buyer, product)
    dodo.hold_webhooks()
    press(session, hosted, "pay")
    payment_id = dodo.checkout_of(str(order.reference))["payment_id"]
    dodo.refund(payment_id)
    dodo.fail_next("GET", "/payments/", 503, times=2)
    dodo.webhook_mode = WebhookMode(max_attempts=5, retry_delay=0.1)

    dodo.release_webhooks("reverse")
    dodo.wait_for_webhooks()

    refund = next(w for w in dodo.webhooks if w.event_type == "refund.succeeded")
    assert refund.attempts == [503, 503, 200]
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert not services.owns(buyer, product)


def test_plugin_url_and_generic_url_share_one_delivery_log(site, dodo, client, buyer, product):
    dodo.webhook_url = site.url + reverse("payments_dodo:webhook")
    assert reverse("payments_dodo:webhook") == "/payments_dodo/webhook/"
    session, hosted, _order = start_checkout(site, client, buyer, product)
    press(session, hosted, "pay")
    dodo.wait_for_webhooks()
    assert services.owns(buyer, product)
    succeeded = next(w for w in dodo.webhooks if w.event_type == "payment.succeeded")

    again = requests.post(site.url + GENERIC, data=succeeded.body, timeout=30, headers={
        **dodo.sign(succeeded.msg_id, succeeded.body), "Content-Type": "application/json"})

    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert PurchasedProduct.objects.count() == 1


def test_webhook_is_answered_without_calling_dodo_and_quickly(site, dodo, client, buyer,
                                                             product):
    session, hosted, _order = start_checkout(site, client, buyer, product)
    calls_before = len(dodo.exchanges)
    dodo.hold_webhooks()
    press(session, hosted, "pay")
    succeeded = next(w for w in dodo.webhooks if w.event_type == "payment.succeeded")

    started = time.monotonic()
    response = requests.post(site.url + GENERIC, data=succeeded.body, timeout=30, headers={
        **dodo.sign(succeeded.msg_id, succeeded.body), "Content-Type": "application/json"})
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert services.owns(buyer, product)
    assert len(dodo.exchanges) == calls_before  # no API call while answering
    assert elapsed < 2.0
    dodo.release_webhooks()


def test_webhooks_reach_the_site_in_maintenance_mode(site, dodo, client, buyer, product,
                                                     settings):
    session, hosted, _order = start_checkout(site, client, buyer, product)
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    dodo.webhook_url = site.url + reverse("payments_dodo:webhook")

    press(session, hosted, "pay")  # Dodo's page is not ours: it still works
    dodo.wait_for_webhooks()

    assert all(w.attempts == [200] for w in dodo.webhooks)
    assert services.owns(buyer, product)
    assert session.get(site.url + reverse("marketplace:my_products")).status_code == 503
