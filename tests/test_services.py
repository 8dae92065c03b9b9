"""Core payment services: the only writers of orders, payments, refunds and ownership.

Each test calls the services as a provider's webhook would, then reads the
database the way a page would (does the buyer own the product? what does the
order say?).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, Payment, PurchasedProduct, Refund
from marketplace_core.ownership.services import Outcome
from marketplace_core.testing.contracts import table_counts
from tests.payments_support import EventRecorder, fake_plugins

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]

PROVIDER = "dummy"


@pytest.fixture
def event_recorder() -> Iterator[EventRecorder]:
    """A fake plugin listening to payment events, enabled for the test."""
    recorder = EventRecorder()
    with fake_plugins(recorder.module):
        yield recorder


@pytest.fixture
def buyer(make_user):
    return make_user(email="buyer@example.com", name="Ada Buyer")


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD")


@pytest.fixture
def order(buyer, product) -> Order:
    return services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)


def confirm(order: Order, payment_id: str = "pay_1", **overrides) -> Outcome:
    kwargs = {
        "provider": PROVIDER,
        "order_reference": str(order.reference),
        "provider_payment_id": payment_id,
        "amount": order.amount,
        "currency": order.currency,
    }
    kwargs.update(overrides)
    return services.confirm_payment(**kwargs)


def fail(order: Order, payment_id: str = "pay_1") -> Outcome:
    return services.record_payment_failure(
        provider=PROVIDER, order_reference=str(order.reference),
        provider_payment_id=payment_id, reason="Card declined",
    )


def processing(order: Order, payment_id: str = "pay_1") -> Outcome:
    return services.record_payment_processing(
        provider=PROVIDER, order_reference=str(order.reference), provider_payment_id=payment_id,
    )


def refund(order: Order, refund_id: str = "ref_1", amount: int | None = None,
           payment_id: str = "pay_1") -> Outcome:
    return services.record_refund(
        provider=PROVIDER, order_reference=str(order.reference), provider_refund_id=refund_id,
        provider_payment_id=payment_id,
        amount=order.amount if amount is None else amount, currency=order.currency,
    )


def status(order: Order) -> str:
    order.refresh_from_db()
    return order.status


# -------------------------------------------------------------------------
# confirming payments
# -------------------------------------------------------------------------


def test_confirm_grants_exactly_once(order, buyer, product):
    assert not services.owns(buyer, product)

    assert confirm(order) == Outcome.CONFIRMED
    assert confirm(order) == Outcome.ALREADY_CONFIRMED

    assert PurchasedProduct.objects.filter(buyer=buyer, product=product).count() == 1
    assert Payment.objects.count() == 1
    assert services.owns(buyer, product)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.confirmed_at is not None


def test_currency_is_compared_case_insensitively(order, buyer, product):
    assert confirm(order, currency="usd") == Outcome.CONFIRMED
    assert services.owns(buyer, product)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(1998, "USD"), (2000, "USD"), (0, "USD"), (None, "USD"), (1999, "EUR"), (1999, "")],
    ids=["one-cent-less", "one-cent-more", "zero", "missing-amount", "other-currency",
         "missing-currency"],
)
def test_amount_or_currency_mismatch_grants_nothing_and_is_flagged(
    order, buyer, product, amount, currency
):
    assert confirm(order, amount=amount, currency=currency) == Outcome.FLAGGED

    assert not PurchasedProduct.objects.exists()
    assert not services.owns(buyer, product)
    assert status(order) == Order.Status.PENDING
    payment = Payment.objects.get()
    assert payment.flag == "amount_mismatch"
    assert payment.status == Payment.Status.FAILED
    assert payment.order_id == order.pk


def test_a_mismatch_is_not_cured_by_repeating_it(order):
    confirm(order, amount=1)
    assert confirm(order, amount=1) == Outcome.FLAGGED
    assert not PurchasedProduct.objects.exists()
    assert Payment.objects.get().flag == "amount_mismatch"


def test_negative_amount_is_flagged_not_crashing(order):
    """A provider bug (negative amount) must not break the delivery with a database error."""
    assert confirm(order, amount=-1999) == Outcome.FLAGGED
    assert Payment.objects.get().flag == "amount_mismatch"
    assert not PurchasedProduct.objects.exists()


@pytest.mark.parametrize(
    "reference",
    [str(uuid.uuid4()), "not-a-uuid", "", None, "1", "../../etc/passwd",
     "00000000-0000-0000-0000-000000000000"],
    ids=["unknown-uuid", "garbage", "empty", "none", "numeric-id", "path", "zero-uuid"],
)
def test_unknown_or_malformed_order_reference_creates_nothing(order, reference):
    before = table_counts()
    for call in (
        lambda: confirm(order, order_reference=reference),
        lambda: services.record_payment_failure(
            provider=PROVIDER, order_reference=reference, provider_payment_id="pay_x"),
        lambda: services.record_payment_processing(
            provider=PROVIDER, order_reference=reference, provider_payment_id="pay_x"),
        lambda: services.record_refund(
            provider=PROVIDER, order_reference=reference, provider_refund_id="ref_x",
            amount=1999, currency="USD"),
    ):
        assert call() == Outcome.UNKNOWN_ORDER
    assert table_counts() == before
    assert status(order) == Order.Status.PENDING


def test_order_numeric_id_is_not_accepted_as_reference(order):
    assert confirm(order, order_reference=str(order.pk)) == Outcome.UNKNOWN_ORDER
    assert not Payment.objects.exists()


def test_payment_id_reported_for_another_order_grants_nothing(order, make_user, product):
    confirm(order, payment_id="pay_shared")
    other_order = services.start_checkout(buyer=make_user(), product=product, provider=PROVIDER)

    assert confirm(other_order, payment_id="pay_shared") == Outcome.FLAGGED
    assert status(other_order) == Order.Status.PENDING
    assert PurchasedProduct.objects.count() == 1


@pytest.mark.parametrize("payment_id", ["", "x" * 256], ids=["empty", "too-long"])
def test_unusable_payment_id_changes_nothing(order, buyer, product, payment_id):
    """Without a storable provider payment id we cannot de-duplicate or reconcile."""
    assert confirm(order, payment_id=payment_id) == Outcome.INVALID
    assert fail(order, payment_id=payment_id) == Outcome.INVALID
    assert processing(order, payment_id=payment_id) == Outcome.INVALID
    assert not services.owns(buyer, product)
    assert not Payment.objects.exists()
    assert status(order) == Order.Status.PENDING


def test_second_successful_payment_is_flagged_not_granted_twice(order, buyer, product):
    confirm(order, payment_id="pay_1")
    assert confirm(order, payment_id="pay_2") == Outcome.FLAGGED

    assert PurchasedProduct.objects.count() == 1
    assert Payment.objects.get(provider_payment_id="pay_2").flag == "duplicate_payment"
    assert status(order) == Order.Status.PAID


def test_paying_for_a_product_already_owned_through_another_order_is_flagged(
    buyer, product
):
    """Two open orders can exist (one failed, one new); both may end up charged."""
    first = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    fail(first, payment_id="pay_1")
    second = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    assert second.pk != first.pk
    confirm(second, payment_id="pay_2")
    # The first order's payment was retried by the provider and succeeded after all.
    confirm(first, payment_id="pay_1b")

    assert PurchasedProduct.objects.active().filter(buyer=buyer, product=product).count() == 1
    extra = Payment.objects.get(provider_payment_id="pay_1b")
    assert extra.flag == "already_owned", "a second charge must be flagged for a refund"
    # Refunding that charge takes nothing away from the buyer.
    refund(first, "ref_1b", payment_id="pay_1b")
    assert services.owns(buyer, product)


# -------------------------------------------------------------------------
# monotonic transitions
# -------------------------------------------------------------------------


@pytest.mark.parametrize("same_payment", [True, False], ids=["same-payment", "new-attempt"])
def test_failure_then_success_ends_paid_and_owned(order, buyer, product, same_payment):
    assert fail(order, "pay_1") == Outcome.FAILURE_RECORDED
    assert status(order) == Order.Status.FAILED
    assert not services.owns(buyer, product)

    assert confirm(order, "pay_1" if same_payment else "pay_2") == Outcome.CONFIRMED
    assert status(order) == Order.Status.PAID
    assert services.owns(buyer, product)


@pytest.mark.parametrize("same_payment", [True, False], ids=["same-payment", "other-attempt"])
@pytest.mark.parametrize("late", [fail, processing], ids=["failed", "processing"])
def test_late_failure_or_processing_never_downgrades_a_paid_order(
    order, buyer, product, same_payment, late
):
    confirm(order, "pay_1")
    late(order, "pay_1" if same_payment else "pay_2")

    assert status(order) == Order.Status.PAID
    assert services.owns(buyer, product)
    assert Payment.objects.get(provider_payment_id="pay_1").status == Payment.Status.SUCCEEDED


def test_processing_then_success(order, buyer, product):
    assert processing(order) == Outcome.RECORDED
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert status(order) == Order.Status.PENDING
    assert confirm(order) == Outcome.CONFIRMED
    assert services.owns(buyer, product)


def test_repeated_failure_is_ignored(order):
    fail(order)
    assert fail(order) == Outcome.IGNORED
    assert Payment.objects.count() == 1


# -------------------------------------------------------------------------
# refunds
# -------------------------------------------------------------------------


def test_full_refund_revokes_ownership(order, buyer, product):
    confirm(order)
    assert refund(order) == Outcome.REFUNDED

    assert status(order) == Order.Status.REFUNDED
    assert not services.owns(buyer, product)
    purchase = PurchasedProduct.objects.get(order=order)
    assert purchase.revoked_at is not None
    assert purchase.revoke_reason == "refund"
    assert Refund.objects.get().payment == Payment.objects.get()


def test_partial_refund_keeps_ownership(order, buyer, product):
    confirm(order)
    assert refund(order, amount=500) == Outcome.RECORDED

    assert status(order) == Order.Status.PAID
    assert services.owns(buyer, product)
    assert Refund.objects.get().amount == 500


def test_partial_refunds_adding_up_to_the_price_revoke(order, buyer, product):
    confirm(order)
    assert refund(order, "ref_1", amount=1000) == Outcome.RECORDED
    assert refund(order, "ref_2", amount=999) == Outcome.REFUNDED
    assert not services.owns(buyer, product)


def test_repeated_refund_id_is_a_no_op(order, buyer, product):
    confirm(order)
    assert refund(order, amount=500) == Outcome.RECORDED
    assert refund(order, amount=500) == Outcome.ALREADY_REFUNDED
    assert refund(order, amount=500) == Outcome.ALREADY_REFUNDED

    assert Refund.objects.count() == 1
    assert services.owns(buyer, product), "one partial refund counted three times"


def test_refund_before_payment_ends_refunded_and_never_granted(order, buyer, product):
    assert refund(order) == Outcome.REFUNDED
    assert status(order) == Order.Status.REFUNDED

    assert confirm(order) == Outcome.FLAGGED
    assert status(order) == Order.Status.REFUNDED
    assert not PurchasedProduct.objects.exists()
    assert Payment.objects.get().flag == "after_refund"


def test_refund_without_amount_counts_as_full(order, buyer, product):
    confirm(order)
    outcome = services.record_refund(
        provider=PROVIDER, order_reference=str(order.reference), provider_refund_id="r",
        amount=None, currency="",
    )
    assert outcome == Outcome.REFUNDED
    assert not services.owns(buyer, product)


@pytest.mark.parametrize(("refund_id", "amount"), [("", 1999), ("ref_1", -1)],
                         ids=["no-refund-id", "negative-amount"])
def test_unusable_refund_changes_nothing(order, buyer, product, refund_id, amount):
    confirm(order)
    assert refund(order, refund_id, amount=amount) == Outcome.INVALID
    assert not Refund.objects.exists()
    assert services.owns(buyer, product)


def test_refunding_a_duplicate_charge_keeps_ownership(order, buyer, product):
    """Support refunds the second charge of a double payment: the buyer keeps the product."""
    confirm(order, "pay_1")
    confirm(order, "pay_2")  # flagged duplicate_payment
    assert refund(order, "ref_dup", payment_id="pay_2") == Outcome.RECORDED
    assert status(order) == Order.Status.PAID
    assert services.owns(buyer, product)

    assert refund(order, "ref_real", payment_id="pay_1") == Outcome.REFUNDED
    assert not services.owns(buyer, product)


def test_refund_in_another_currency_does_not_revoke(order, buyer, product):
    confirm(order)
    outcome = services.record_refund(
        provider=PROVIDER, order_reference=str(order.reference), provider_refund_id="r",
        amount=1999, currency="EUR",
    )
    assert outcome == Outcome.RECORDED
    assert services.owns(buyer, product)


def test_buyer_can_buy_again_after_revocation(order, buyer, product):
    confirm(order)
    refund(order)
    assert not services.owns(buyer, product)

    again = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    assert again.pk != order.pk
    assert again.status == Order.Status.PENDING
    assert confirm(again, "pay_2") == Outcome.CONFIRMED

    assert services.owns(buyer, product)
    purchases = PurchasedProduct.objects.filter(buyer=buyer, product=product)
    assert purchases.count() == 2
    assert purchases.active().get().order == again


def test_database_allows_one_active_ownership_only(order, buyer, product):
    confirm(order)
    second_order = Order.objects.create(
        buyer=buyer, product=product, amount=1999, currency="USD", provider=PROVIDER,
        status=Order.Status.PAID,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchasedProduct.objects.create(
            buyer=buyer, product=product, order=second_order, granted_at=timezone.now()
        )


def test_revoke_ownership_is_idempotent(order, buyer, product):
    confirm(order)
    purchase = PurchasedProduct.objects.get()
    assert services.revoke_ownership(purchase, reason="staff") is True
    first_revoked_at = PurchasedProduct.objects.get().revoked_at
    assert services.revoke_ownership(purchase, reason="staff") is False
    assert PurchasedProduct.objects.get().revoked_at == first_revoked_at
    assert not services.owns(buyer, product)


# -------------------------------------------------------------------------
# starting a checkout
# -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"status": Product.Status.DRAFT}, {"is_active": False}],
    ids=["draft", "inactive"],
)
def test_start_checkout_refuses_products_not_for_sale(buyer, make_product, fields):
    product = make_product(**fields)
    with pytest.raises(Rejected) as excinfo:
        services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    assert excinfo.value.code == "not_for_sale"
    assert not Order.objects.exists()


def test_start_checkout_refuses_an_owned_product(order, buyer, product):
    confirm(order)
    with pytest.raises(Rejected) as excinfo:
        services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    assert excinfo.value.code == "already_owned"
    assert Order.objects.count() == 1


def test_start_checkout_reuses_the_open_pending_order(order, buyer, product):
    again = services.start_checkout(
        buyer=buyer, product=product, provider=PROVIDER, billing={"country": "DE"}
    )
    assert again.pk == order.pk
    assert Order.objects.count() == 1
    assert again.billing == {"country": "DE"}


def test_start_checkout_takes_the_current_price(order, buyer, product):
    product.price = 2500
    product.save()
    again = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    assert again.pk == order.pk
    assert (again.amount, again.currency) == (2500, "USD")


def test_start_checkout_after_a_failure_opens_a_new_order(order, buyer, product):
    fail(order)
    again = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    assert again.pk != order.pk
    assert again.status == Order.Status.PENDING


def test_orders_of_different_buyers_are_separate(order, product, make_user):
    other = services.start_checkout(buyer=make_user(), product=product, provider=PROVIDER)
    assert other.pk != order.pk


# -------------------------------------------------------------------------
# events: after commit, once
# -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_events_are_delivered_after_commit(event_recorder: EventRecorder, buyer, product):
    order = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)

    confirm(order)
    confirm(order)  # a repeat delivers nothing new
    assert event_recorder.names() == ["ownership_granted", "payment_confirmed"]

    refund(order)
    assert event_recorder.names() == [
        "ownership_granted", "payment_confirmed", "refund_recorded", "ownership_revoked",
    ]
    refund(order)
    assert len(event_recorder.events) == 4

    for event in event_recorder.events:
        assert event.order_reference == str(order.reference)
        assert not event.in_transaction, f"{event.name} delivered inside the transaction"
    # Another connection already saw the committed state when each event arrived.
    granted, confirmed, refunded, revoked = event_recorder.events
    assert granted.committed_view == {"status": "paid", "active_purchases": 1, "refunds": 0}
    assert confirmed.committed_view["status"] == "paid"
    assert refunded.committed_view["refunds"] == 1
    assert revoked.committed_view == {"status": "refunded", "active_purchases": 0,
                                      "refunds": 1}


@pytest.mark.django_db(transaction=True)
def test_failure_event_is_delivered_after_commit(event_recorder: EventRecorder, buyer, product):
    order = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    fail(order)
    assert event_recorder.names() == ["payment_failed"]
    assert event_recorder.events[0].committed_view["status"] == "failed"
    fail(order)
    assert event_recorder.names() == ["payment_failed"]


@pytest.mark.django_db(transaction=True)
def test_no_events_when_the_transaction_rolls_back(event_recorder: EventRecorder, buyer,
                                                   product):
    order = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        assert confirm(order) == Outcome.CONFIRMED
        raise Abort

    assert event_recorder.events == []
    assert not PurchasedProduct.objects.exists()
    assert status(order) == Order.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_no_grant_events_for_a_refund_before_payment(event_recorder: EventRecorder, buyer,
                                                     product):
    order = services.start_checkout(buyer=buyer, product=product, provider=PROVIDER)
    refund(order)
    confirm(order)
    assert event_recorder.names() == ["refund_recorded"]
