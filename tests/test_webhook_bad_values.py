"""Validly signed deliveries that core cannot apply: refused with 400, logged, no trace.

A provider retries any 5xx for days, so a delivery whose signature is good but
whose values cannot be stored (an amount beyond the column, a body nested
100,000 deep, an id longer than the column, text PostgreSQL refuses) must be
answered 400 with a JSON reason, once, and change nothing. Each case here
crashed with a 500 on at least one database before it was refused.
"""

from __future__ import annotations

import json
import logging

import pytest

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.payments.dummy import build_delivery, webhook_secret
from marketplace_core.payments.providers import MAX_AMOUNT
from marketplace_core.payments.signing import sign
from marketplace_core.testing.contracts import table_counts
from tests.payments_support import post_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]


@pytest.fixture
def order(make_user, make_product) -> Order:
    product = make_product(title="Field Guide", price=1999, currency="USD")
    return services.start_checkout(buyer=make_user(), product=product, provider="dummy")


def data_of(order: Order, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {"order_reference": str(order.reference), "payment_id": "pay_1",
                               "refund_id": "ref_1", "dispute_id": "dp_1",
                               "amount": order.amount, "currency": order.currency}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not _DROP}


_DROP = object()


def raw(body: bytes) -> tuple[bytes, dict[str, str]]:
    """``body`` exactly, signed with the dummy provider's secret."""
    return body, sign(webhook_secret(), "msg_raw", body)


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


#: event type, data changes (or a raw body), and a word the answer's reason must contain.
CASES: dict[str, tuple[str, dict[str, object] | bytes, str]] = {
    # amounts: the columns are PositiveIntegerField (0..2**31-1 on every database)
    "amount 2**31": ("payment.succeeded", {"amount": 2**31}, "amount"),
    "amount 2**63": ("payment.succeeded", {"amount": 2**63}, "amount"),
    "amount 2**64": ("payment.failed", {"amount": 2**64}, "amount"),
    "refund of 2**63": ("refund.succeeded", {"amount": 2**63}, "amount"),
    "dispute of 2**31": ("dispute.opened", {"amount": 2**31}, "amount"),
    "negative amount": ("payment.succeeded", {"amount": -1999}, "amount"),
    "negative refund": ("refund.succeeded", {"amount": -1}, "amount"),
    "amount as a string": ("payment.succeeded", {"amount": "1999"}, "amount"),
    "amount as a float": ("payment.succeeded", {"amount": 1999.0}, "amount"),
    "amount true": ("payment.succeeded", {"amount": True}, "amount"),
    "amount null": ("payment.succeeded", {"amount": None}, "amount"),
    "amount missing": ("payment.succeeded", {"amount": _DROP}, "amount"),
    "amount Infinity": ("payment.succeeded", b'{"type":"payment.succeeded","data":{"amount":'
                        b'Infinity,"payment_id":"p","order_reference":"x","currency":"USD"}}',
                        "infinity"),
    "amount of 5000 digits": ("payment.succeeded",
                              b'{"type":"payment.succeeded","data":{"amount":'
                              + b"9" * 5000 + b"}}", "number"),
    # currencies
    "currency missing": ("payment.succeeded", {"currency": _DROP}, "currency"),
    "currency of two letters": ("payment.succeeded", {"currency": "US"}, "currency"),
    "currency with a digit": ("payment.failed", {"currency": "US1"}, "currency"),
    "currency as a number": ("payment.succeeded", {"currency": 840}, "currency"),
    "currency of a refund": ("refund.succeeded", {"currency": "dollars"}, "currency"),
    # ids and text the columns cannot hold
    "payment id of 256 characters": ("payment.succeeded", {"payment_id": "p" * 256},
                                     "payment_id"),
    "refund id of 256 characters": ("refund.succeeded", {"refund_id": "r" * 256},
                                    "refund_id"),
    "dispute id of 256 characters": ("dispute.opened", {"dispute_id": "d" * 256},
                                     "dispute_id"),
    "payment id with NUL": ("payment.succeeded", {"payment_id": "pay\x00"}, "payment_id"),
    "reason with NUL": ("payment.failed", {"reason": "declined\x00"}, "reason"),
    "reason with a lone surrogate": ("payment.failed", {"reason": "declined \ud800"},
                                     "reason"),
    "event type with NUL": ("customer.updated\x00", {}, "type"),
    # bodies
    "100,000 nested arrays": ("", nested(100_000).encode(), "nest"),
    "nesting inside the data": ("payment.succeeded", json.dumps(
        {"type": "payment.succeeded", "data": {"reason": "x"}}
    ).replace('"x"', nested(50_000, '"x"')).encode(), "nest"),
    "100,000 nested objects": ("", ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(), "nest"),
}


def delivery_of(order: Order, event_type: str, changes: dict[str, object] | bytes):
    if isinstance(changes, bytes):
        return raw(changes)
    return build_delivery(event_type, data_of(order, **changes))


@pytest.mark.parametrize("case", list(CASES))
def test_signed_delivery_core_cannot_apply_is_refused_logged_and_changes_nothing(
    client, order, case, caplog
):
    event_type, changes, reason_word = CASES[case]
    body, headers = delivery_of(order, event_type, changes)
    before = table_counts()

    with caplog.at_level(logging.WARNING, logger="marketplace_core.payments"):
        response = post_webhook(client, body, headers)

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["error"]
    assert reason_word in answer["detail"].lower(), answer
    assert table_counts() == before
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert any(r.levelno == logging.WARNING and "dummy" in r.getMessage()
               for r in caplog.records), caplog.text


@pytest.mark.parametrize("amount", [0, MAX_AMOUNT], ids=["zero", "largest"])
def test_amounts_at_the_bounds_are_applied(client, order, amount):
    """The bounds themselves are storable: a mismatch is acknowledged and flagged."""
    response = post_webhook(client, *build_delivery(
        "payment.succeeded", data_of(order, amount=amount)))

    assert response.status_code == 200
    assert response.json()["outcome"] == "flagged"
    assert table_counts()["payments"] == 1


def test_a_refused_delivery_is_applied_once_its_sender_corrects_it(client, order):
    bad = build_delivery("payment.succeeded", data_of(order, amount=2**63))
    assert post_webhook(client, *bad).status_code == 400

    good = build_delivery("payment.succeeded", data_of(order))
    assert post_webhook(client, *good).json()["outcome"] == "confirmed"
    assert services.owns(order.buyer, order.product)


def test_body_over_the_webhook_cap_is_refused_even_without_djangos_limit(
    client, order, settings
):
    """``DATA_UPLOAD_MAX_MEMORY_SIZE = None`` lifts Django's cap; the endpoint keeps its own."""
    from marketplace_core.payments.views import MAX_WEBHOOK_BODY

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    data = data_of(order, reason="x" * MAX_WEBHOOK_BODY)

    response = post_webhook(client, *build_delivery("payment.succeeded", data))

    assert response.status_code == 413
    assert response.json()["error"] == "body too large"
    assert table_counts()["deliveries"] == 0
