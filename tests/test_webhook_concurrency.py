"""Concurrent webhook deliveries over real HTTP connections to a live server.

Providers retry, and a retry can overlap the first attempt. However many
copies arrive at the same moment, exactly one purchase may result. The
threads wait on a barrier so they send together; a request-signal counter
proves the server really handled them in parallel (pytest-django's live
server is Django's ``ThreadedWSGIServer``, one thread per connection).
Runs on SQLite and on PostgreSQL (``--marketplace-db=postgres``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, Payment, PurchasedProduct, WebhookDelivery
from marketplace_core.payments.dummy import build_delivery, read_checkout_token
from marketplace_core.testing.contracts import (
    InFlight,
    accept_many_connections,
    requests_in_flight,
    send_together,
)
from tests.payments_support import WEBHOOK_URL, csrf_token, logged_in_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]


@pytest.fixture
def in_flight() -> Iterator[InFlight]:
    with requests_in_flight() as counter:
        yield counter


@pytest.fixture
def server(live_server: Any) -> Any:
    """pytest-django's live server, able to take 100 connections at once."""
    return accept_many_connections(live_server)


@pytest.fixture
def order(make_user, make_product) -> Order:
    product = make_product(title="Field Guide", price=1999, currency="USD")
    return services.start_checkout(buyer=make_user(), product=product, provider="dummy")



def post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    # A fresh connection per request (no shared pool): the server sees `count` clients.
    with requests.Session() as session:
        return session.post(url, data=body, timeout=120,
                            headers={**headers, "Content-Type": "application/json"})


def payment(order: Order, payment_id: str = "pay_1") -> dict[str, Any]:
    return {"order_reference": str(order.reference), "payment_id": payment_id,
            "amount": order.amount, "currency": order.currency}


def test_100_copies_of_one_delivery_grant_once(server, order, in_flight):
    body, headers = build_delivery("payment.succeeded", payment(order))
    url = server.url + WEBHOOK_URL

    responses = send_together(100, lambda i: post(url, body, headers))

    assert [r.status_code for r in responses] == [200] * 100, {
        r.status_code: r.text[:300] for r in responses if r.status_code != 200
    }
    statuses = Counter(r.json()["status"] for r in responses)
    assert statuses == {"ok": 1, "duplicate": 99}
    assert PurchasedProduct.objects.count() == 1
    assert Payment.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert services.owns(order.buyer, order.product)
    # The server handled them in parallel, not one after the other (typically
    # 80-100 at once here; any overlap at all proves the point).
    assert in_flight.peak >= 2, f"at most {in_flight.peak} request at a time"


def test_50_deliveries_of_one_payment_under_different_ids_grant_once(
    server, order, in_flight
):
    deliveries = [build_delivery("payment.succeeded", payment(order)) for _ in range(50)]
    assert len({h["webhook-id"] for _, h in deliveries}) == 50
    url = server.url + WEBHOOK_URL

    responses = send_together(50, lambda i: post(url, *deliveries[i]))

    assert [r.status_code for r in responses] == [200] * 50
    assert {r.json()["status"] for r in responses} == {"ok"}
    outcomes = Counter(r.json()["outcome"] for r in responses)
    assert outcomes == {"confirmed": 1, "already_confirmed": 49}
    assert PurchasedProduct.objects.count() == 1
    assert Payment.objects.count() == 1
    assert WebhookDelivery.objects.count() == 50
    assert in_flight.peak >= 2, f"at most {in_flight.peak} request at a time"


def test_50_different_successful_payments_for_one_order_grant_once(server, order):
    """Double charges racing each other: one pays the order, the rest are flagged."""
    deliveries = [
        build_delivery("payment.succeeded", payment(order, f"pay_{i}")) for i in range(50)
    ]
    url = server.url + WEBHOOK_URL

    responses = send_together(50, lambda i: post(url, *deliveries[i]))

    assert [r.status_code for r in responses] == [200] * 50
    outcomes = Counter(r.json()["outcome"] for r in responses)
    assert outcomes == {"confirmed": 1, "flagged": 49}
    assert PurchasedProduct.objects.count() == 1
    assert Payment.objects.filter(flag="duplicate_payment").count() == 49
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_payment_and_refund_racing_end_refunded(server, order):
    """Whatever order they are applied in, a full refund leaves nothing owned."""
    deliveries = [build_delivery("payment.succeeded", payment(order)) for _ in range(20)]
    deliveries += [
        build_delivery("refund.succeeded", {**payment(order), "refund_id": "ref_1"})
        for _ in range(20)
    ]
    url = server.url + WEBHOOK_URL

    responses = send_together(40, lambda i: post(url, *deliveries[i]))

    assert [r.status_code for r in responses] == [200] * 40
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert not services.owns(order.buyer, order.product)
    assert PurchasedProduct.objects.count() <= 1


def test_20_concurrent_checkouts_by_one_buyer_open_one_order(server, make_user, make_product):
    """A double-clicked Buy button (or several tabs) opens one pending order."""
    buyer = make_user(email="buyer@example.com")
    product = make_product(title="Field Guide")
    logged_in = logged_in_session(server.url, buyer.email)
    url = f"{server.url}/products/{product.slug}/buy/"
    form = logged_in.get(url).text
    cookies = logged_in.cookies.get_dict()

    def checkout(i: int) -> requests.Response:
        with requests.Session() as session:
            session.cookies.update(cookies)
            return session.post(
                url, allow_redirects=False, timeout=120, headers={"Referer": url},
                data={"name": "Ada", "email": buyer.email, "country": "DE",
                      "csrfmiddlewaretoken": csrf_token(form)},
            )

    responses = send_together(20, checkout)

    assert [r.status_code for r in responses] == [302] * 20, [r.text[:200] for r in responses]
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING
    assert all(str(order.reference) in _token_order(r.headers["Location"]) for r in responses)


def _token_order(location: str) -> str:
    token = location.rstrip("/").rsplit("/", 1)[1]
    return read_checkout_token(token)["order"]
