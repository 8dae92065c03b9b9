"""Refunds a seller asks for, sent to Dodo (``POST /refunds`` through the SDK, against the fake).

The contract kit (``test_contract.py``) shows a request landing through Dodo's
webhook, partially too, and a refusal failing it; these tests pin what the
plugin sends and how Dodo's errors and webhook orderings turn out.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from marketplace_payments_dodo import client, sync
from marketplace_payments_dodo.client import DodoRejected
from marketplace_payments_dodo.testing import FakeDodo

from marketplace_core.ownership import refund_progress, refund_requests, services
from marketplace_core.ownership.models import Order, Refund, RefundRequest
from marketplace_core.payments.providers import RefundUnavailable

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(make_user: Any) -> Any:
    from marketplace_core.testing.factories import make_seller

    return make_seller(email="dodo-seller@example.com")


@pytest.fixture
def order(dodo: FakeDodo, seller: Any, make_user: Any, make_product: Any) -> Order:
    """An order paid at Dodo for its synced product (as the hosted checkout leaves it)."""
    product = make_product(seller=seller, price=2500, currency="USD")
    dodo_id = sync.sync_product(product).dodo_product_id
    order = services.start_checkout(buyer=make_user(), product=product, provider="dodo")
    payment = dodo.record_payment(amount=2500, currency="USD", product_id=dodo_id,
                                  metadata={"order_reference": str(order.reference)})
    services.confirm_payment(provider="dodo", order_reference=order.reference,
                             provider_payment_id=payment["payment_id"], amount=2500,
                             currency="USD")
    order.refresh_from_db()
    return order


def refunds_sent(dodo: FakeDodo) -> list[dict[str, Any]]:
    return [e.request for e in dodo.exchanges if e.route == "/refunds" and e.status == 200]


def ask(seller: Any, order: Order, amount: int) -> RefundRequest:
    return refund_requests.request_refund(seller=seller, order_reference=order.reference,
                                          amount=amount, reason="Duplicate purchase")


def test_a_full_refund_is_the_whole_payment_and_a_partial_one_an_amount_of_its_item(
        dodo, seller, order):
    payment_id = order.payments.get().provider_payment_id
    partial = ask(seller, order, 1000)
    refund_progress.send_refund_request(partial.pk)
    rest = ask(seller, order, 1500)
    refund_progress.send_refund_request(rest.pk)

    first, second = refunds_sent(dodo)
    dodo_product = sync.dodo_product_id(order.product_id)
    assert first == {"payment_id": payment_id, "reason": "Duplicate purchase",
                     "metadata": {"order_reference": str(order.reference),
                                  "refund_request": str(partial.reference)},
                     "items": [{"item_id": dodo_product, "amount": 1000,
                                "tax_inclusive": True}]}
    assert second["items"] == [{"item_id": dodo_product, "amount": 1500, "tax_inclusive": True}]
    partial.refresh_from_db()
    assert partial.status == RefundRequest.Status.SENT
    assert dodo.refunds[partial.provider_refund_id]["amount"] == 1000
    # Nothing is final until Dodo's webhook arrives.
    assert not Refund.objects.exists()


def test_a_whole_refund_sends_no_items(dodo, seller, order):
    refund_progress.send_refund_request(ask(seller, order, 2500).pk)
    (sent,) = refunds_sent(dodo)
    assert "items" not in sent


def test_dodo_unavailable_is_retried_and_then_sent_once(dodo, seller, order):
    dodo.fail_next("POST", "/refunds", 503)
    request = ask(seller, order, 2500)
    with pytest.raises(RefundUnavailable):
        refund_progress.send_refund_request(request.pk)
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.REQUESTED

    assert refund_progress.send_refund_request(request.pk) == RefundRequest.Status.SENT
    assert len(refunds_sent(dodo)) == 1
    assert len(dodo.refunds) == 1


def test_a_refund_made_but_not_answered_is_found_not_made_twice(dodo, seller, order):
    # Dodo refunds, then the answer is lost (a gateway timeout): the retry must
    # find that refund by the request's key instead of refunding again. (Its
    # refund.succeeded webhook then matches the request by this refund id.)
    dodo.fail_next("POST", "/refunds", 504, after_acting=True)
    request = ask(seller, order, 1000)
    with pytest.raises(RefundUnavailable):
        refund_progress.send_refund_request(request.pk)
    (made,) = dodo.refunds.values()

    assert refund_progress.send_refund_request(request.pk) == RefundRequest.Status.SENT
    assert len(dodo.refunds) == 1
    assert [e.status for e in dodo.exchanges if e.route == "/refunds"] == [504]
    request.refresh_from_db()
    assert request.provider_refund_id == made["refund_id"]
    assert made["amount"] == 1000


def test_a_refund_is_not_sent_while_dodo_cannot_say_whether_it_made_one(dodo, seller, order):
    dodo.fail_next("GET", "/payments/", 503)
    request = ask(seller, order, 2500)
    with pytest.raises(RefundUnavailable):
        refund_progress.send_refund_request(request.pk)
    assert not refunds_sent(dodo)
    assert refund_progress.send_refund_request(request.pk) == RefundRequest.Status.SENT
    assert len(dodo.refunds) == 1


def test_dodos_refusal_is_shown_to_the_seller(dodo, seller, order):
    dodo.fail_next("POST", "/refunds", 422, message="Payment is under dispute")
    request = ask(seller, order, 2500)
    assert refund_progress.send_refund_request(request.pk) == RefundRequest.Status.FAILED
    request.refresh_from_db()
    assert request.failure_reason == (
        "Dodo Payments refused the request (422): Payment is under dispute")


@pytest.mark.parametrize(("body", "message"), [
    ({"payment_id": None}, "payment_id is required"),
    ({"payment_id": "pay_unknown"}, "Payment not found"),
    ({"reason": "x" * 3001}, "reason must be a string of at most 3000 characters"),
    ({"items": [{"item_id": "pdt_other", "amount": 100}]}, "is not part of payment"),
    ({"items": [{"item_id": "{product}", "amount": 2501}]}, "exceeds the 2500 left"),
    ({"items": [{"item_id": "{product}", "amount": "100"}]}, "item amount must be an integer"),
])
def test_the_fake_refuses_what_dodo_refuses(dodo, order, body, message):
    body = {"payment_id": order.payments.get().provider_payment_id, **body}
    for item in body.get("items", []):
        item["item_id"] = item["item_id"].replace("{product}",
                                                  sync.dodo_product_id(order.product_id))
    answer = httpx.post(f"{dodo.url}/refunds", json=body,
                        headers={"Authorization": f"Bearer {dodo.api_key}"})
    assert answer.status_code in (404, 422)
    assert message in answer.json()["message"]
    assert not dodo.refunds


def test_more_than_is_left_at_dodo_is_refused(dodo, order):
    payment_id = order.payments.get().provider_payment_id
    dodo.refund(payment_id, amount=2000)  # in Dodo's dashboard
    item = (sync.dodo_product_id(order.product_id), 600)
    with pytest.raises(DodoRejected, match="exceeds the 500 left"):
        client.create_refund(client.RefundSpec(payment_id=payment_id, item=item))
    # Without items Dodo refunds what is left.
    assert dodo.refunds[client.create_refund(
        client.RefundSpec(payment_id=payment_id)).refund_id]["amount"] == 500
