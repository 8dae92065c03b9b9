"""Refunds a seller asks for: validated once, sent once, made final only by the webhook."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest
from django.db import connection

from marketplace_core.exceptions import Rejected
from marketplace_core.ownership import refund_progress, refund_requests, services
from marketplace_core.ownership.models import Order, PurchasedProduct, Refund, RefundRequest
from marketplace_core.ownership.tasks import REFUND_RETRIES
from marketplace_core.ownership.tasks import send_refund_request as send_task
from marketplace_core.payments.providers import RefundUnavailable
from marketplace_core.testing.contracts import table_counts
from tests import refund_support
from tests.refund_support import paid_order, refund_id, webhook_refund

pytestmark = pytest.mark.django_db
desk, seller, order = refund_support.desk, refund_support.seller, refund_support.order


def ask(seller: Any, order: Order, amount: int | None = None, reason: str = "") -> RefundRequest:
    return refund_requests.request_refund(
        seller=seller, order_reference=order.reference,
        amount=order.amount if amount is None else amount, reason=reason)


def owns(order: Order) -> bool:
    return PurchasedProduct.objects.active().filter(order=order).exists()


def requests_of(order: Order) -> list[tuple[str, int]]:
    return list(RefundRequest.objects.filter(order=order).order_by("id")
                .values_list("status", "amount"))


# --- validation ----------------------------------------------------------


def test_a_request_is_recorded_and_sent_after_commit(
        seller, order, desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(seller, order, reason="Wrong file")

    request.refresh_from_db()
    assert request.status == RefundRequest.Status.SENT
    assert request.provider_refund_id == refund_id(str(request.reference))
    assert desk.calls[0].amount == 2000
    assert desk.calls[0].reason == "Wrong file"
    assert desk.calls[0].idempotency_key == str(request.reference)
    # Nothing is final before the webhook: the buyer keeps access, no Refund row.
    assert owns(order)
    assert not Refund.objects.exists()


@pytest.mark.parametrize(("amount", "code"), [
    (0, "invalid_amount"), (-5, "invalid_amount"), (2001, "too_much"), (10**12, "too_much"),
])
def test_bad_amounts_are_refused_and_change_nothing(seller, order, amount, code):
    before = table_counts()
    with pytest.raises(Rejected) as refused:
        ask(seller, order, amount)
    assert refused.value.code == code
    assert table_counts() == before


def test_another_sellers_order_is_not_found(order, make_seller):
    before = table_counts()
    with pytest.raises(Rejected) as refused:
        ask(make_seller(), order)
    assert refused.value.code == "not_found"
    assert table_counts() == before


@pytest.mark.parametrize("status", [Order.Status.PENDING, Order.Status.FAILED,
                                    Order.Status.EXPIRED])
def test_an_unpaid_order_cannot_be_refunded(seller, desk, make_user, make_product, status):
    product = make_product(seller=seller)
    order = services.start_checkout(buyer=make_user(), product=product, provider="desk")
    Order.objects.filter(pk=order.pk).update(status=status)
    before = table_counts()
    with pytest.raises(Rejected) as refused:
        ask(seller, order)
    assert refused.value.code == "not_paid"
    assert "not paid" in refused.value.message
    assert table_counts() == before


def test_asking_twice_finds_nothing_left(seller, order):
    ask(seller, order)
    before = table_counts()
    with pytest.raises(Rejected) as refused:
        ask(seller, order)
    assert refused.value.code == "nothing_left"
    assert table_counts() == before


def test_partial_requests_add_up_to_what_was_paid(seller, order):
    ask(seller, order, 500)
    webhook_refund(order, "ref_dashboard", 300)  # the seller also refunded in Desk Pay's dashboard
    with pytest.raises(Rejected) as refused:
        ask(seller, order, 1201)
    assert refused.value.code == "too_much"
    assert "$12.00" in refused.value.message
    ask(seller, order, 1200)
    assert requests_of(order) == [("requested", 500), ("requested", 1200)]


def test_a_provider_without_partial_refunds_takes_only_the_whole_rest(
        seller, desk, make_user, make_product):
    order = paid_order(make_user(), make_product(seller=seller, price=2000), "wholedesk")
    with pytest.raises(Rejected) as refused:
        ask(seller, order, 1000)
    assert refused.value.code == "whole_only"
    assert ask(seller, order).amount == 2000


def test_a_provider_without_refunds_says_so(seller, desk, make_user, make_product):
    order = paid_order(make_user(), make_product(seller=seller), "cash")
    options = refund_requests.refund_options(order)
    assert "Cash Desk does not take refund requests" in options.unavailable_reason
    with pytest.raises(Rejected) as refused:
        ask(seller, order)
    assert refused.value.code == "no_refunds"
    assert not RefundRequest.objects.exists()


def test_a_refused_request_fails_with_the_providers_reason_and_frees_the_amount(
        seller, order, desk, django_capture_on_commit_callbacks):
    desk.answer = "reject"
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(seller, order)
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.FAILED
    assert request.failure_reason == "The card of this payment has expired."
    assert owns(order)
    assert refund_progress.refundable_amount(order) == 2000  # the seller may try again


def test_an_unreachable_provider_is_retried_then_the_request_fails(seller, order, desk):
    desk.answer = "unavailable"
    request = ask(seller, order)

    with pytest.raises(RefundUnavailable):  # the task retries it with backoff
        refund_progress.send_refund_request(request.pk)
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.REQUESTED  # ready for the retry

    last = send_task.apply((request.pk,), retries=REFUND_RETRIES, throw=False)
    assert last.result == RefundRequest.Status.FAILED
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.FAILED
    assert request.failure_reason == refund_progress.UNREACHABLE_REASON
    assert len(desk.calls) == 2
    assert refund_progress.refundable_amount(order) == 2000


def test_the_task_run_twice_asks_the_provider_once(seller, order, desk):
    request = ask(seller, order)
    assert refund_progress.send_refund_request(request.pk) == RefundRequest.Status.SENT
    assert refund_progress.send_refund_request(request.pk) is None
    assert len(desk.calls) == 1


# --- the webhook makes it final, in every order ---------------------------


def final_state(order: Order) -> tuple[int, list[tuple[str, int]], str, bool]:
    order.refresh_from_db()
    return Refund.objects.filter(order=order).count(), requests_of(order), order.status, owns(order)


REFUNDED = (1, [("succeeded", 2000)], "refunded", False)


def test_answer_first_then_webhook(seller, order):
    request = ask(seller, order)
    refund_progress.send_refund_request(request.pk)
    assert webhook_refund(order, refund_id(str(request.reference))) == "refunded"
    assert final_state(order) == REFUNDED


def test_webhook_first_then_answer(seller, order, desk):
    request = ask(seller, order)
    RefundRequest.objects.filter(pk=request.pk).update(status="sent")  # the call is under way
    assert webhook_refund(order, refund_id(str(request.reference))) == "refunded"
    refund_progress.note_refund_id(request.pk, refund_id(str(request.reference)))
    assert final_state(order) == REFUNDED
    assert RefundRequest.objects.get().refund == Refund.objects.get()


def test_webhook_twice(seller, order):
    request = ask(seller, order)
    refund_progress.send_refund_request(request.pk)
    assert webhook_refund(order, refund_id(str(request.reference))) == "refunded"
    assert webhook_refund(order, refund_id(str(request.reference))) == "already_refunded"
    assert final_state(order) == REFUNDED


def test_an_answer_without_an_id_is_matched_by_amount(seller, order, desk):
    desk.answer = "no_id"
    request = ask(seller, order)
    refund_progress.send_refund_request(request.pk)
    assert webhook_refund(order, "desk_ref_from_webhook") == "refunded"
    assert final_state(order) == REFUNDED


def test_two_equal_partial_requests_each_end_with_their_own_refund(seller, order):
    first, second = ask(seller, order, 700), ask(seller, order, 700)
    RefundRequest.objects.update(status="sent")
    # The second one's webhook arrives first: it is taken for the oldest request...
    webhook_refund(order, refund_id(str(second.reference)), 700)
    # ...until the second one's answer names it.
    refund_progress.note_refund_id(second.pk, refund_id(str(second.reference)))
    refund_progress.note_refund_id(first.pk, refund_id(str(first.reference)))
    webhook_refund(order, refund_id(str(first.reference)), 700)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.refund.provider_refund_id == refund_id(str(first.reference))
    assert second.refund.provider_refund_id == refund_id(str(second.reference))
    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert owns(order)  # 1400 of 2000: a partial refund keeps access
    assert refund_progress.refundable_amount(order) == 600


def test_a_dashboard_refund_leaves_a_request_of_another_amount_pending(seller, order):
    ask(seller, order, 500)
    webhook_refund(order, "ref_dashboard", 300)
    assert requests_of(order) == [("requested", 500)]


# --- the answer and the webhook at the same moment ---------------------------


def together(*calls: Any) -> list[Any]:
    """Run ``calls`` in threads released at once; each closes its database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as exc:  # reported by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not [r for r in results if isinstance(r, BaseException)], results
    return results


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("race", ["answer_and_webhook", "webhook_twice",
                                  "answer_and_webhook_twice"])
def test_concurrent_answer_and_webhooks_end_with_one_refund(seller, order, race, make_user):
    for round_ in range(5):
        if round_:
            order = paid_order(make_user(), order.product)
        request = ask(seller, order)
        RefundRequest.objects.filter(pk=request.pk).update(status="sent")  # the call is out
        rid = refund_id(str(request.reference))
        answer = partial(refund_progress.note_refund_id, request.pk, rid)
        webhook = partial(webhook_refund, order, rid)
        calls = {"answer_and_webhook": (answer, webhook),
                 "webhook_twice": (webhook, webhook),
                 "answer_and_webhook_twice": (answer, webhook, webhook)}[race]

        together(*calls)

        assert Refund.objects.filter(order=order).count() == 1
        request.refresh_from_db()
        assert (request.status, request.refund_id) == ("succeeded",
                                                       Refund.objects.get(order=order).pk)
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
