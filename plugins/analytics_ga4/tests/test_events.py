"""Measurement Protocol events, end to end: core's payment and refund services, the hooks,
the Celery tasks, HTTP, the fake GA4 that validates payloads like ``/debug/mp/collect``."""

from __future__ import annotations

import json

import pytest
import requests
from marketplace_analytics_ga4.browser import client_id_from_cookie
from marketplace_analytics_ga4.measurement import purchase_payload, refund_payload
from marketplace_analytics_ga4.models import SentEvent

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, Payment, Refund
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.testing.factories import logged_in
from tests.conftest import configure

# Events are delivered after commit: these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def confirm(order: Order, payment_id: str = "pay_1") -> services.Outcome:
    return services.confirm_payment(provider="dummy", order_reference=order.reference,
                                     provider_payment_id=payment_id, amount=order.amount,
                                     currency=order.currency)


@pytest.fixture
def order(make_user, make_product):
    product = make_product(title="Icon pack", price=1999, currency="EUR")
    return services.start_checkout(buyer=make_user(), product=product, provider="dummy")


def test_a_confirmed_payment_sends_one_purchase_event(fake_ga4, order):
    assert confirm(order) == services.Outcome.CONFIRMED

    [event] = fake_ga4.wait_for_events(1)
    assert event.name == "purchase"
    assert event.params == {
        "transaction_id": str(order.reference), "value": 19.99, "currency": "EUR",
        "items": [{"item_id": str(order.product_id), "item_name": "Icon pack",
                   "price": 19.99, "quantity": 1}],
    }
    assert event.measurement_id == fake_ga4.measurement_id
    assert fake_ga4.rejected == []


def test_a_second_confirmation_sends_no_second_event(fake_ga4, order):
    confirm(order)
    fake_ga4.wait_for_events(1)

    # The provider's webhook arrives again, and the event hook is delivered again.
    confirm(order)
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    get_plugin_manager().hook.payment_confirmed(order=order, payment=payment)

    assert [e.name for e in fake_ga4.events] == ["purchase"]
    assert SentEvent.objects.filter(kind="purchase", key=str(order.reference)).count() == 1


def test_a_refund_sends_a_refund_event_once(fake_ga4, order):
    confirm(order)
    order.refresh_from_db()
    services.record_refund(provider="dummy", order_reference=order.reference,
                           provider_refund_id="ref_1", amount=500, currency="EUR")
    refund = Refund.objects.get(order=order)
    get_plugin_manager().hook.refund_recorded(order=order, refund=refund)  # again

    _, refunded = fake_ga4.wait_for_events(2)
    assert refunded.name == "refund"
    assert (refunded.params["transaction_id"], refunded.params["value"],
            refunded.params["currency"]) == (str(order.reference), 5.0, "EUR")
    assert [e.name for e in fake_ga4.events] == ["purchase", "refund"]


def test_the_client_id_comes_from_the_ga_cookie_at_checkout(fake_ga4, make_user, make_product):
    product = make_product(price=500)
    buyer = make_user()
    client = logged_in(buyer)
    client.cookies["_ga"] = "GA1.1.1234567890.1700000000"

    response = client.post(f"{product.get_absolute_url()}buy/", {
        "name": "Bea Buyer", "email": buyer.email, "country": "de"})
    assert response.status_code in (302, 303), response.content
    order = Order.objects.get(buyer=buyer, product=product)
    confirm(order)

    [event] = fake_ga4.wait_for_events(1)
    assert event.client_id == "1234567890.1700000000"


def test_without_the_cookie_the_client_id_is_pseudonymous_and_stable(fake_ga4, order):
    first, second = purchase_payload(order)["client_id"], purchase_payload(order)["client_id"]

    assert first == second
    assert client_id_from_cookie(f"GA1.1.{first}") == first  # shaped like GA's
    assert order.buyer.email not in json.dumps(purchase_payload(order))


@pytest.mark.parametrize("cookie", ["", "GA1.1.abc.def", "1234.5678", "GA1.1.1<script>.1"])
def test_a_cookie_that_is_not_gas_is_ignored(cookie):
    assert client_id_from_cookie(cookie) is None


def test_payloads_pass_gas_validation_server(fake_ga4, order):
    confirm(order)
    order.refresh_from_db()
    services.record_refund(provider="dummy", order_reference=order.reference,
                           provider_refund_id="ref_1", amount=None, currency="EUR")
    refund = Refund.objects.get(order=order)

    for payload in (purchase_payload(order), refund_payload(refund)):
        answer = requests.post(f"{fake_ga4.url}/debug/mp/collect", json=payload, timeout=10,
                               params={"measurement_id": fake_ga4.measurement_id,
                                       "api_secret": fake_ga4.api_secret})
        assert answer.json() == {"validationMessages": []}


def test_the_fake_validation_server_catches_a_bad_payload(fake_ga4):
    bad = {"events": [{"name": "session_start", "params": {"value": 3}}]}
    answer = requests.post(f"{fake_ga4.url}/debug/mp/collect", json=bad, timeout=10,
                           params={"measurement_id": fake_ga4.measurement_id,
                                   "api_secret": "wrong"})

    codes = sorted(m["validationCode"] for m in answer.json()["validationMessages"])
    assert codes == ["NAME_RESERVED", "VALUE_INVALID", "VALUE_REQUIRED"]


def test_without_a_secret_no_event_is_sent(fake_ga4, order, settings):
    configure(settings, API_SECRET="")

    confirm(order)

    assert fake_ga4.events == [] and fake_ga4.rejected == []
    assert not SentEvent.objects.exists()
