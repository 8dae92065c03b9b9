"""The generic webhook endpoint, ``POST /payments/webhooks/<provider>/``, with the dummy provider.

Deliveries are signed exactly as the dummy provider signs them
(:func:`marketplace_core.payments.dummy.build_delivery`) or built by hand with
:func:`marketplace_core.payments.signing.sign` for the broken cases. Every
rejected delivery must leave no trace: no payment, no purchase, no delivery row.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from standardwebhooks.webhooks import Webhook

from marketplace_core.ownership import services
from marketplace_core.ownership.models import (
    Order,
    Payment,
    PurchasedProduct,
    Refund,
    WebhookDelivery,
)
from marketplace_core.payments import signing
from marketplace_core.payments.dummy import build_delivery, webhook_secret
from marketplace_core.payments.providers import WebhookVerificationError
from marketplace_core.people.users import own_name_field
from marketplace_core.testing.contracts import sign_bytes, table_counts
from marketplace_core.testing.queries import split_at_commit
from tests.payments_support import WEBHOOK_URL, post_webhook

pytestmark = pytest.mark.django_db

OTHER_SECRET = "whsec_" + base64.b64encode(b"another-site-secret-32-bytes-long").decode()


@pytest.fixture
def buyer(make_user):
    return make_user(email="buyer@example.com")


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD")


@pytest.fixture
def order(buyer, product) -> Order:
    return services.start_checkout(buyer=buyer, product=product, provider="dummy")


def payment_data(order: Order, **overrides) -> dict:
    data = {
        "order_reference": str(order.reference),
        "payment_id": "pay_1",
        "amount": order.amount,
        "currency": order.currency,
    }
    data.update(overrides)
    return data


def body_of(event_type: str, data: dict) -> bytes:
    return json.dumps({"type": event_type, "data": data}, separators=(",", ":")).encode()


def owned(order: Order) -> bool:
    return services.owns(order.buyer, order.product)


# -------------------------------------------------------------------------
# accepted deliveries
# -------------------------------------------------------------------------


@pytest.mark.smoke
def test_valid_delivery_grants_ownership(client, order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))

    response = post_webhook(client, body, headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "outcome": "confirmed"}
    assert owned(order)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.delivery_id) == ("dummy", headers["webhook-id"])
    assert delivery.event_types == "payment.succeeded"
    assert delivery.outcome == "confirmed"


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)  # real transactions: no test savepoints counted
def test_a_valid_payment_delivery_costs_eight_queries_and_a_replay_one(
    client, order, django_assert_num_queries,
):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    with CaptureQueriesContext(connection) as queries:
        response = post_webhook(client, body, headers)
    delivery, tasks = split_at_commit(queries)
    # The delivery's transaction: BEGIN, record the delivery, lock the order (reading who
    # owns the product), insert the payment, mark the order paid, grant, store the
    # delivery's outcome, COMMIT.
    assert len(delivery) == 8, delivery
    # Then the tasks it queued, run in process here (no broker; a worker's work
    # otherwise): the sale announcement (the order with its product and buyer; is the
    # seller's email switched on), the seller's email (the seller, on still, its sent-email
    # key in a transaction of five statements, old keys pruned in three) and the receipt
    # (the order, its payments), and the seller's webhook endpoints for order.paid (one
    # read; none here, so nothing more). A user model without a name field keeps the shop
    # name with the person's account: one more read each for the buyer's and the seller's.
    assert len(tasks) == (15 if own_name_field() else 17), tasks
    assert response.json() == {"status": "ok", "outcome": "confirmed"}
    assert owned(order)
    with django_assert_num_queries(3):  # BEGIN, the delivery is known, COMMIT
        response = post_webhook(client, body, headers)
    assert response.json()["status"] == "duplicate"
    assert (Payment.objects.count(), PurchasedProduct.objects.count()) == (1, 1)


@pytest.mark.by_database
def test_replayed_delivery_is_a_no_op(client, order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    assert post_webhook(client, body, headers).json()["status"] == "ok"

    for _ in range(3):
        response = post_webhook(client, body, headers)
        assert response.status_code == 200
        assert response.json()["status"] == "duplicate"

    assert PurchasedProduct.objects.count() == 1
    assert Payment.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.by_database
def test_same_payment_under_a_new_delivery_id_grants_once(client, order):
    """Providers re-send an event with a new message id; the payment id de-duplicates."""
    data = payment_data(order)
    post_webhook(client, *build_delivery("payment.succeeded", data))
    response = post_webhook(client, *build_delivery("payment.succeeded", data))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "outcome": "already_confirmed"}
    assert PurchasedProduct.objects.count() == 1
    assert WebhookDelivery.objects.count() == 2


def test_endpoint_is_csrf_exempt(order):
    client = Client(enforce_csrf_checks=True)
    response = post_webhook(client, *build_delivery("payment.succeeded", payment_data(order)))
    assert response.status_code == 200
    assert owned(order)


def test_endpoint_works_in_maintenance_mode(client, order, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    assert client.get("/products/").status_code == 503  # the site really is down

    response = post_webhook(client, *build_delivery("payment.succeeded", payment_data(order)))

    assert response.status_code == 200
    assert response.json()["outcome"] == "confirmed"
    assert owned(order)


def test_delivery_is_verified_with_the_configured_secret(client, order, settings):
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    settings.MARKETPLACE = {**settings.MARKETPLACE, "DUMMY_WEBHOOK_SECRET": secret}
    body = body_of("payment.succeeded", payment_data(order))

    stale = post_webhook(client, body, signing.sign(OTHER_SECRET, "msg_a", body))
    good = post_webhook(client, body, signing.sign(secret, "msg_b", body))

    assert (stale.status_code, good.status_code) == (400, 200)
    assert owned(order)


def test_four_minutes_of_clock_skew_is_accepted(client, order):
    body = body_of("payment.succeeded", payment_data(order))
    four_minutes_ago = dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=4)
    headers = signing.sign(webhook_secret(), "msg_late", body, timestamp=four_minutes_ago)

    assert post_webhook(client, body, headers).status_code == 200
    assert owned(order)


# -------------------------------------------------------------------------
# rejected deliveries: 400 and no trace
# -------------------------------------------------------------------------


def _forged(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    fake = base64.b64encode(os.urandom(32)).decode()
    return body, {**headers, "webhook-signature": f"v1,{fake}"}


def _wrong_secret(order):
    body = body_of("payment.succeeded", payment_data(order))
    return body, signing.sign(OTHER_SECRET, "msg_wrong_secret", body)


def _without(header):
    def build(order):
        body, headers = build_delivery("payment.succeeded", payment_data(order))
        del headers[header]
        return body, headers

    return build


def _empty(header):
    def build(order):
        body, headers = build_delivery("payment.succeeded", payment_data(order))
        return body, {**headers, header: ""}

    return build


def _body_changed(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order, amount=1))
    # The buyer paid 1 cent; change that one byte back to the order's price.
    tampered = body.replace(b'"amount":1,', b'"amount":1999,')
    assert tampered != body
    return tampered, headers


def _one_byte_flipped(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    position = body.index(b"pay_1") + 4
    tampered = body[:position] + b"2" + body[position + 1:]
    assert len(tampered) == len(body) and tampered != body
    return tampered, headers


def _timestamp(minutes):
    def build(order):
        body = body_of("payment.succeeded", payment_data(order))
        when = dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=minutes)
        return body, signing.sign(webhook_secret(), f"msg_{minutes}", body, timestamp=when)

    return build


def _timestamp_replaced(order):
    """A captured delivery replayed later with a fresh timestamp header."""
    body = body_of("payment.succeeded", payment_data(order))
    old = dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=10)
    headers = signing.sign(webhook_secret(), "msg_replay", body, timestamp=old)
    return body, {**headers, "webhook-timestamp": str(int(dt.datetime.now(tz=dt.UTC).timestamp()))}


def _id_replaced(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    return body, {**headers, "webhook-id": "msg_other"}


def _signed(raw: bytes):
    def build(order):
        return raw, sign_bytes(webhook_secret(), raw)

    return build


def _signed_json(value):
    return _signed(json.dumps(value).encode())


def _malformed_signature_header(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    return body, {**headers, "webhook-signature": headers["webhook-signature"].replace(",", "")}


def _signature_not_base64(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    return body, {**headers, "webhook-signature": "v1,@@not base64@@"}


def _unknown_signature_version(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    signature = headers["webhook-signature"].replace("v1,", "v2,")
    return body, {**headers, "webhook-signature": signature}


def _timestamp_not_a_number(order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    return body, {**headers, "webhook-timestamp": "yesterday"}


def _id_too_long(order):
    body = body_of("payment.succeeded", payment_data(order))
    return body, signing.sign(webhook_secret(), "m" * 300, body)


REJECTED = {
    "forged-signature": _forged,
    "wrong-secret": _wrong_secret,
    "missing-webhook-id": _without("webhook-id"),
    "missing-webhook-timestamp": _without("webhook-timestamp"),
    "missing-webhook-signature": _without("webhook-signature"),
    "empty-webhook-id": _empty("webhook-id"),
    "empty-webhook-timestamp": _empty("webhook-timestamp"),
    "empty-webhook-signature": _empty("webhook-signature"),
    "body-changed-after-signing": _body_changed,
    "one-byte-flipped": _one_byte_flipped,
    "timestamp-6-minutes-old": _timestamp(-6),
    "timestamp-6-minutes-ahead": _timestamp(+6),
    "timestamp-header-replaced": _timestamp_replaced,
    "webhook-id-replaced": _id_replaced,
    "timestamp-not-a-number": _timestamp_not_a_number,
    "malformed-signature-header": _malformed_signature_header,
    "signature-not-base64": _signature_not_base64,
    "unknown-signature-version": _unknown_signature_version,
    "webhook-id-too-long": _id_too_long,
    "malformed-json": _signed(b'{"type":"payment.succeeded","data":{'),
    "non-utf8-body": _signed(b'{"type":"payment.succeeded","data":{"x":"\xff\xfe"}}'),
    "empty-body": _signed(b""),
    "json-array": _signed_json([{"type": "payment.succeeded"}]),
    "json-string": _signed_json("payment.succeeded"),
    "data-not-an-object": _signed_json({"type": "payment.succeeded", "data": []}),
    "type-missing": _signed_json({"data": {"payment_id": "pay_1"}}),
}


@pytest.mark.parametrize("build", REJECTED.values(), ids=REJECTED.keys())
def test_unverifiable_delivery_is_rejected_and_changes_nothing(client, order, build):
    body, headers = build(order)

    response = post_webhook(client, body, headers)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]
    assert table_counts() == {"orders": 1, "payments": 0, "refunds": 0, "disputes": 0,
                              "purchases": 0, "deliveries": 0}
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


@pytest.mark.parametrize(
    ("event_type", "missing"),
    [("payment.succeeded", "payment_id"), ("payment.succeeded", "order_reference"),
     ("payment.failed", "payment_id"), ("refund.succeeded", "refund_id")],
)
def test_signed_event_without_its_ids_is_rejected(client, order, event_type, missing):
    data = payment_data(order, refund_id="ref_1")
    del data[missing]
    body = body_of(event_type, data)

    response = post_webhook(client, body, signing.sign(webhook_secret(), "msg_x", body))

    assert response.status_code == 400
    assert missing in response.json()["detail"]
    assert table_counts()["deliveries"] == table_counts()["payments"] == 0


@pytest.mark.by_database
def test_rejected_delivery_can_be_retried_once_fixed(client, order):
    """A 400 records nothing, so the same webhook id is applied when it verifies."""
    body, headers = _forged(order)
    assert post_webhook(client, body, headers).status_code == 400
    good_body = body_of("payment.succeeded", payment_data(order))
    good = signing.sign(webhook_secret(), headers["webhook-id"], good_body)
    assert post_webhook(client, good_body, good).json()["status"] == "ok"
    assert owned(order)


@pytest.mark.by_database
def test_unknown_order_is_acknowledged_and_grants_nothing(client, order):
    data = payment_data(order, order_reference=str(uuid.uuid4()))
    response = post_webhook(client, *build_delivery("payment.succeeded", data))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_order"
    assert not Payment.objects.exists()
    assert not PurchasedProduct.objects.exists()


@pytest.mark.parametrize(("amount", "currency"), [(1, "USD"), (1999, "EUR")],
                         ids=["amount", "currency"])
def test_mismatch_is_flagged_and_grants_nothing(client, order, amount, currency):
    data = payment_data(order, amount=amount, currency=currency)
    response = post_webhook(client, *build_delivery("payment.succeeded", data))

    assert response.status_code == 200
    assert response.json()["outcome"] == "flagged"
    assert not owned(order)
    assert Payment.objects.get().flag == "amount_mismatch"


def test_unknown_provider_is_404_json(client, order):
    body, headers = build_delivery("payment.succeeded", payment_data(order))
    response = post_webhook(client, body, headers, url="/payments/webhooks/nope/")

    assert response.status_code == 404
    assert response.json()["error"]
    assert table_counts()["deliveries"] == 0


@pytest.mark.parametrize("method", ["get", "put", "delete", "options"])
def test_only_post_is_allowed(client, method):
    response = getattr(client, method)(WEBHOOK_URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"]


def test_oversized_body_is_refused_with_json(client, order, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    data = payment_data(order, reason="x" * 20_000)
    response = post_webhook(client, *build_delivery("payment.succeeded", data))
    assert response.status_code == 413
    assert response.json()["error"]
    assert table_counts()["deliveries"] == 0


def test_unhandled_event_types_are_acknowledged(client, order):
    data = payment_data(order)
    response = post_webhook(client, *build_delivery("customer.updated", data))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert not Payment.objects.exists()


# -------------------------------------------------------------------------
# events in any order
# -------------------------------------------------------------------------


EVENTS = ("succeeded", "failed", "processing", "refunded")


def _deliveries(order: Order, sequence: tuple[str, ...], same_payment: bool):
    failed_payment = "pay_1" if same_payment else "pay_0"
    builders = {
        "succeeded": ("payment.succeeded", payment_data(order)),
        "failed": ("payment.failed", payment_data(order, payment_id=failed_payment,
                                                  reason="declined")),
        "processing": ("payment.processing", payment_data(order)),
        "refunded": ("refund.succeeded", payment_data(order, refund_id="ref_1")),
    }
    return [build_delivery(*builders[name]) for name in sequence]


def expected_state(sequence: tuple[str, ...]) -> tuple[str, bool, bool]:
    """(order status, buyer owns it now, ownership was ever granted) as documented
    in :mod:`marketplace_core.ownership.services`."""
    if "refunded" in sequence:
        granted = "succeeded" in sequence and (
            sequence.index("succeeded") < sequence.index("refunded")
        )
        return Order.Status.REFUNDED, False, granted
    if "succeeded" in sequence:
        return Order.Status.PAID, True, True
    if "failed" in sequence:
        return Order.Status.FAILED, False, False
    return Order.Status.PENDING, False, False


SEQUENCES = [
    seq for n in range(1, len(EVENTS) + 1) for seq in itertools.permutations(EVENTS, n)
]


@pytest.mark.parametrize("same_payment", [True, False], ids=["one-payment", "two-attempts"])
@pytest.mark.parametrize("sequence", SEQUENCES, ids=["-".join(s) for s in SEQUENCES])
def test_events_in_any_order_end_in_the_documented_state(client, order, sequence,
                                                         same_payment):
    deliveries = _deliveries(order, sequence, same_payment)
    for body, headers in deliveries:
        assert post_webhook(client, body, headers).json()["status"] == "ok"
    # Providers retry: every delivery again, newest first, changes nothing.
    for body, headers in reversed(deliveries):
        assert post_webhook(client, body, headers).json()["status"] == "duplicate"

    status, owns_now, ever_granted = expected_state(sequence)
    order.refresh_from_db()
    assert order.status == status
    assert owned(order) is owns_now
    assert PurchasedProduct.objects.filter(order=order).exists() is ever_granted
    assert PurchasedProduct.objects.count() <= 1
    assert Refund.objects.count() == sequence.count("refunded")
    assert WebhookDelivery.objects.count() == len(sequence)


# -------------------------------------------------------------------------
# signing module: interoperability and key rotation
# -------------------------------------------------------------------------


def test_signatures_interoperate_with_the_reference_library():
    secret = webhook_secret()
    body = b'{"type":"payment.succeeded","data":{}}'
    ours = signing.sign(secret, "msg_1", body)
    Webhook(secret).verify(body, ours)  # raises when it disagrees

    now = dt.datetime.now(tz=dt.UTC)
    theirs = {
        "webhook-id": "msg_2",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_2", now, body.decode()),
    }
    assert signing.verify(body, theirs, [secret]) == {"type": "payment.succeeded", "data": {}}


def test_any_of_several_secrets_verifies_for_rotation():
    body = b'{"a":1}'
    headers = signing.sign(OTHER_SECRET, "msg_1", body)
    assert signing.verify(body, headers, [webhook_secret(), OTHER_SECRET]) == {"a": 1}
    with pytest.raises(WebhookVerificationError):
        signing.verify(body, headers, [webhook_secret()])


def test_any_of_several_signatures_in_the_header_verifies():
    body = b'{"a":1}'
    good = signing.sign(webhook_secret(), "msg_1", body)
    bogus = "v1," + base64.b64encode(os.urandom(32)).decode()
    header = f"v1a,ignored {bogus} {good['webhook-signature']}"
    assert signing.verify(body, {**good, "webhook-signature": header}, [webhook_secret()])


def test_no_usable_secret_is_an_error_not_a_crash():
    body = b"{}"
    headers = signing.sign(webhook_secret(), "msg_1", body)
    for secrets in ([], [""], ["whsec_"]):
        with pytest.raises(WebhookVerificationError):
            signing.verify(body, headers, secrets)


# -------------------------------------------------------------------------
# a provider speaks only for its own orders
# -------------------------------------------------------------------------


def test_dummy_endpoint_is_closed_unless_dummy_is_active_or_debug(client, order, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PAYMENT_PROVIDER": "acme"}
    settings.DEBUG = False
    body, headers = build_delivery("payment.succeeded", payment_data(order))

    closed = post_webhook(client, body, headers)

    assert closed.status_code == 404
    assert closed.json() == {"error": "unknown payment provider 'dummy'"}
    assert not owned(order)
    settings.DEBUG = True
    assert post_webhook(client, body, headers).status_code == 200
    assert owned(order)


def test_a_provider_cannot_pay_another_providers_order(client, make_user, make_product,
                                                       caplog):
    """A genuine dummy delivery naming an order checked out with another provider grants nothing."""
    order = services.start_checkout(buyer=make_user(), product=make_product(), provider="acme")
    body, headers = build_delivery("payment.succeeded", payment_data(order))

    response = post_webhook(client, body, headers)

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_order"
    assert not owned(order)
    assert not Payment.objects.exists()
    assert "belongs to 'acme'" in caplog.text
