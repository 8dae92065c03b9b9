"""Deliveries signed with Dodo's secret whose values the site cannot apply.

Each is answered 400 with a JSON reason and leaves no trace, so Dodo shows the
failure instead of retrying a 500 for days; none of them reaches Dodo's API
(a lookup of a payment id the site would refuse anyway is not made).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from marketplace_payments_dodo.testing import FakeDodo, new_id

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.payments.providers import MAX_AMOUNT
from marketplace_core.testing.contracts import table_counts

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]

URL = "/payments/webhooks/dodo/"


@pytest.fixture
def order(make_user, make_product) -> Order:
    product = make_product(title="Field Guide", price=1999, currency="USD")
    return services.start_checkout(buyer=make_user(), product=product, provider="dodo",
                                   billing={"country": "DE"})


def post(client, dodo: FakeDodo, body: bytes) -> Any:
    headers = dodo.sign(new_id("msg"), body)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **meta)


def payment(dodo: FakeDodo, order: Order, event_type: str = "payment.succeeded",
            **changes: Any) -> bytes:
    recorded = dodo.record_payment(payment_id="pay_case", amount=order.amount,
                                   currency=order.currency,
                                   metadata={"order_reference": str(order.reference)})
    return json.dumps(dodo.payment_event(event_type, {**recorded, **changes})).encode()


def refund(dodo: FakeDodo, order: Order, **changes: Any) -> bytes:
    payment(dodo, order)
    data = {**dodo.refund_payload("pay_case"), **changes}
    return json.dumps(dodo.payment_event("refund.succeeded", data)).encode()


def dispute(dodo: FakeDodo, order: Order, **changes: Any) -> bytes:
    payment(dodo, order)
    data = {**dodo.dispute_payload("pay_case"), **changes}
    return json.dumps(dodo.payment_event("dispute.opened", data)).encode()


def without_payment_id(dodo: FakeDodo, order: Order) -> bytes:
    payload = json.loads(payment(dodo, order))
    del payload["data"]["payment_id"]
    return json.dumps(payload).encode()


CASES = {
    "total_amount 2**31": (payment, {"total_amount": 2**31}, "amount"),
    "total_amount 2**63": (payment, {"total_amount": 2**63}, "amount"),
    "failed payment of 2**64": (lambda d, o, **c: payment(d, o, "payment.failed", **c),
                                {"total_amount": 2**64}, "amount"),
    "negative total_amount": (payment, {"total_amount": -1}, "amount"),
    "total_amount as text": (payment, {"total_amount": "1999"}, "amount"),
    "total_amount true": (payment, {"total_amount": True}, "amount"),
    "total_amount as a float": (payment, {"total_amount": 19.99}, "amount"),
    "total_amount null": (payment, {"total_amount": None}, "amount"),
    "currency of four letters": (payment, {"currency": "USDT"}, "currency"),
    "currency as a number": (payment, {"currency": 840}, "currency"),
    "payment id of 256 characters": (payment, {"payment_id": "p" * 256}, "payment_id"),
    "payment id with NUL": (payment, {"payment_id": "pay\x00"}, "payment_id"),
    "payment without its id": (without_payment_id, {}, "payment_id"),
    "payment id as an object": (payment, {"payment_id": {"id": 1}}, "payment_id"),
    "error message with NUL": (lambda d, o, **c: payment(d, o, "payment.failed", **c),
                               {"error_message": "declined\x00"}, "reason"),
    "refund of 2**63": (refund, {"amount": 2**63}, "amount"),
    "refund of a negative amount": (refund, {"amount": -5}, "amount"),
    "refund amount as text": (refund, {"amount": "all"}, "amount"),
    "refund id of 256 characters": (refund, {"refund_id": "r" * 256}, "refund_id"),
    "refund of an unusable payment id": (refund, {"payment_id": "x" * 300,
                                                  "metadata": {}}, "payment_id"),
    "refund naming a payment id with NUL": (refund, {"payment_id": "pay\x00"}, "payment_id"),
    "dispute amount of 20 digits": (dispute, {"amount": "9" * 20}, "amount"),
    "dispute amount in superscript digits": (dispute, {"amount": "\u00b2"}, "amount"),
    "dispute amount in Arabic-Indic digits": (dispute, {"amount": "\u0661\u0669"}, "amount"),
    "dispute reason with a lone surrogate": (dispute, {"reason": "x\ud800"}, "reason"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_signed_delivery_the_site_cannot_apply_is_refused_and_leaves_no_trace(
    client, dodo, order, case
):
    build, changes, word = CASES[case]
    body = build(dodo, order, **changes)
    before, api_calls = table_counts(), len(dodo.exchanges)

    response = post(client, dodo, body)

    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == "invalid event"
    assert word in response.json()["detail"], response.json()
    assert table_counts() == before
    assert len(dodo.exchanges) == api_calls, "no call to Dodo for a delivery it refuses"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_body_nested_100000_deep_is_refused(client, dodo, order):
    response = post(client, dodo, b"[" * 100_000 + b"]" * 100_000)

    assert response.status_code == 400
    assert response.json() == {"error": "verification failed",
                               "detail": "body nests deeper than 64 levels"}
    assert table_counts()["deliveries"] == 0


def test_the_largest_storable_amount_is_applied_as_a_mismatch(client, dodo, order):
    response = post(client, dodo, payment(dodo, order, total_amount=MAX_AMOUNT))

    assert response.status_code == 200
    assert response.json()["outcome"] == "flagged"


def test_a_dispute_amount_as_a_string_of_digits_is_read(client, dodo, order):
    """Dodo sends dispute amounts as strings of minor units ("1999")."""
    assert post(client, dodo, payment(dodo, order)).status_code == 200

    response = post(client, dodo, dispute(dodo, order, amount="1999"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "recorded"
    assert order.disputes.get().amount == 1999
