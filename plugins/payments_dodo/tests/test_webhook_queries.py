"""What a Dodo delivery costs the database: a valid payment takes at most eight
statements end to end (core's ingest plus the plugin's own reads)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from marketplace_payments_dodo.testing import FakeDodo, new_id

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, Payment, PurchasedProduct
from marketplace_core.testing.queries import split_at_commit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

URL = "/payments/webhooks/dodo/"


def post(client, dodo: FakeDodo, body: bytes, msg_id: str):
    headers = dodo.sign(msg_id, body)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **meta)


def test_a_valid_payment_delivery_costs_eight_queries(
    client, dodo: FakeDodo, make_user, make_product, django_assert_num_queries,
):
    product = make_product(title="Field Guide", price=1999, currency="USD")
    order = services.start_checkout(buyer=make_user(), product=product, provider="dodo",
                                    billing={"country": "DE"})
    recorded = dodo.record_payment(payment_id="pay_q", amount=order.amount,
                                   currency=order.currency,
                                   metadata={"order_reference": str(order.reference)})
    body = json.dumps(dodo.payment_event("payment.succeeded", recorded)).encode()
    msg_id = new_id("msg")
    with CaptureQueriesContext(connection) as queries:
        response = post(client, dodo, body, msg_id)
    delivery, tasks = split_at_commit(queries)
    # BEGIN, the delivery, the order locked with who owns the product, the payment,
    # the order paid, the ownership, the delivery's outcome, COMMIT.
    assert len(delivery) == 8, delivery
    # Then the after-commit work, run in process here (no broker): the seller's webhook
    # endpoints for order.paid (one query), the sale announcement and the seller's email
    # (see core's tests/test_webhooks.py) and the receipt (the order and its payments).
    assert len(tasks) == 15, tasks
    assert response.json() == {"status": "ok", "outcome": "confirmed"}
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert PurchasedProduct.objects.filter(order=order).count() == 1
    with django_assert_num_queries(3):  # a redelivery: BEGIN, the delivery is known, COMMIT
        assert post(client, dodo, body, msg_id).json()["status"] == "duplicate"
    assert Payment.objects.count() == 1
