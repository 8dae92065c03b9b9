"""Deliveries that must not grant anything, each with the answer Dodo gets.

Every case starts from a real checkout (the order exists, Dodo holds the
payment) and ends with the buyer owning nothing. Deliveries that cannot be
trusted are refused with 400 and leave no trace, so Dodo's retry of a genuine
one still applies; genuine deliveries that cannot pay for the order are
acknowledged with 200 (Dodo must stop retrying) and change no ownership.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from marketplace_payments_dodo.testing import FakeDodo, new_id

from marketplace_core.ownership import services
from marketplace_core.ownership.models import (
    Order,
    Payment,
    PurchasedProduct,
    Refund,
    WebhookDelivery,
)
from marketplace_core.testing.contracts import FOREIGN_SECRET, change_one_byte

pytestmark = pytest.mark.django_db

URL = "/payments/webhooks/dodo/"


@dataclass(frozen=True)
class Sent:
    body: bytes
    headers: dict[str, str]


@pytest.fixture
def order(make_user, make_product) -> Order:
    product = make_product(title="Field Guide", price=1999, currency="USD")
    return services.start_checkout(buyer=make_user(), product=product, provider="dodo",
                                   billing={"country": "DE"})


def payment_body(dodo: FakeDodo, order: Order, **changes: Any) -> bytes:
    payment = dodo.record_payment(
        payment_id=changes.pop("payment_id", "pay_forged_case"),
        amount=changes.pop("amount", order.amount),
        currency=changes.pop("currency", order.currency),
        metadata=changes.pop("metadata", {"order_reference": str(order.reference)}),
    )
    return json.dumps(dodo.payment_event("payment.succeeded", {**payment, **changes})).encode()


def signed(dodo: FakeDodo, body: bytes, **options: Any) -> Sent:
    return Sent(body, dodo.sign(new_id("msg"), body, **options))


def post(client, sent: Sent) -> Any:
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in sent.headers.items()}
    return client.post(URL, data=sent.body, content_type="application/json", **meta)


def minutes(n: int) -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=n)


def _bad_signature(dodo, order):
    sent = signed(dodo, payment_body(dodo, order))
    fake = base64.b64encode(b"x" * 32).decode()
    return Sent(sent.body, {**sent.headers, "webhook-signature": f"v1,{fake}"})


def _missing_header(name):
    def build(dodo, order):
        sent = signed(dodo, payment_body(dodo, order))
        return Sent(sent.body, {k: v for k, v in sent.headers.items() if k != name})
    return build


def _wrong_secret(dodo, order):
    return signed(dodo, payment_body(dodo, order), secret=FOREIGN_SECRET)


def _one_byte_changed(dodo, order):
    sent = signed(dodo, payment_body(dodo, order))
    return Sent(change_one_byte(sent.body), sent.headers)


def _amount_raised_after_signing(dodo, order):
    sent = signed(dodo, payment_body(dodo, order))
    return Sent(sent.body.replace(b'"total_amount": 1999', b'"total_amount": 2999'), sent.headers)


def _timestamp(offset_minutes):
    def build(dodo, order):
        return signed(dodo, payment_body(dodo, order), timestamp=minutes(offset_minutes))
    return build


def _malformed_json(dodo, order):
    return signed(dodo, b'{"type": "payment.succeeded", "data": {')


def _not_an_event(dodo, order):
    return signed(dodo, b'["payment.succeeded"]')


def _signature_of_another_message(dodo, order):
    other = signed(dodo, payment_body(dodo, order, payment_id="pay_other"))
    return Sent(payment_body(dodo, order), other.headers)


REFUSED: dict[str, Callable[[FakeDodo, Order], Sent]] = {
    "bad signature": _bad_signature,
    "missing signature header": _missing_header("webhook-signature"),
    "missing id header": _missing_header("webhook-id"),
    "missing timestamp header": _missing_header("webhook-timestamp"),
    "wrong secret": _wrong_secret,
    "one byte changed": _one_byte_changed,
    "amount raised after signing": _amount_raised_after_signing,
    "timestamp 6 minutes old": _timestamp(-6),
    "timestamp 6 minutes ahead": _timestamp(6),
    "malformed JSON": _malformed_json,
    "JSON that is not an event": _not_an_event,
    "signature of another message": _signature_of_another_message,
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_untrustworthy_delivery_is_refused_and_leaves_no_trace(client, dodo, order, case):
    response = post(client, REFUSED[case](dodo, order))

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "verification failed"
    assert not services.owns(order.buyer, order.product)
    assert not PurchasedProduct.objects.exists()
    assert not Payment.objects.exists()
    assert not WebhookDelivery.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


@pytest.mark.by_database
def test_replayed_payment_after_a_refund_grants_nothing(client, dodo, order):
    payment = signed(dodo, payment_body(dodo, order))
    assert post(client, payment).status_code == 200
    refund = dodo.refund_payload("pay_forged_case")
    assert post(client, signed(dodo, json.dumps(
        dodo.payment_event("refund.succeeded", refund)).encode())).status_code == 200
    assert not services.owns(order.buyer, order.product)

    replay = post(client, payment)

    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate"
    assert not services.owns(order.buyer, order.product)
    assert PurchasedProduct.objects.active().count() == 0
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.parametrize(("changes", "what"), [
    ({"amount": 1}, "one cent"),
    ({"amount": 1998}, "a cent short"),
    ({"currency": "EUR"}, "another currency"),
], ids=["one-cent", "cent-short", "currency"])
def test_amount_mismatch_is_acknowledged_flagged_and_grants_nothing(client, dodo, order,
                                                                    changes, what):
    response = post(client, signed(dodo, payment_body(dodo, order, **changes)))

    assert response.status_code == 200, what
    assert response.json()["outcome"] == "flagged"
    assert not services.owns(order.buyer, order.product)
    assert Payment.objects.get().flag == "amount_mismatch"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_unknown_order_is_acknowledged_and_grants_nothing(client, dodo, order):
    body = payment_body(dodo, order,
                        metadata={"order_reference": "6f1c2f8e-0000-4000-8000-000000000000"})

    response = post(client, signed(dodo, body))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_order"
    assert not PurchasedProduct.objects.exists()
    assert not Payment.objects.exists()


def test_payment_not_started_by_this_site_is_acknowledged_and_ignored(client, dodo, order):
    response = post(client, signed(dodo, payment_body(dodo, order, metadata={})))

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert not PurchasedProduct.objects.exists()
    assert not Payment.objects.exists()


def test_refund_for_a_payment_dodo_does_not_know_changes_nothing(client, dodo, order):
    body = json.dumps(dodo.payment_event("refund.succeeded", {
        "refund_id": "ref_x", "payment_id": "pay_unknown", "business_id": "bus_x",
        "brand_id": "bus_x", "status": "succeeded", "created_at": "2025-01-01T00:00:00Z",
        "is_partial": False, "metadata": {}, "amount": 1999, "currency": "USD",
        "customer": {"customer_id": "cus_x", "name": "X", "email": "x@example.com"},
    })).encode()

    response = post(client, signed(dodo, body))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_order"
    assert not Refund.objects.exists()


def test_the_plugin_endpoint_refuses_forgeries_too(client, dodo, order):
    sent = _wrong_secret(dodo, order)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in sent.headers.items()}

    response = client.post(reverse("payments_dodo:webhook"), data=sent.body,
                           content_type="application/json", **meta)

    assert response.status_code == 400
    assert not PurchasedProduct.objects.exists()
