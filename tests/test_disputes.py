"""Disputes (chargebacks) are recorded from provider events, whatever order they arrive in.

Through the dummy provider's webhook endpoint, like a real provider, and in
the admin, where staff read them but cannot change them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Dispute, Order, PurchasedProduct
from marketplace_core.payments.dummy import build_delivery
from tests.payments_support import post_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]


@pytest.fixture
def order(make_user, make_product) -> Order:
    product = make_product(title="Field Guide", price=1999, currency="USD")
    return services.start_checkout(buyer=make_user(), product=product, provider="dummy")


def pay(client, order: Order, payment_id: str = "pay_1") -> None:
    body, headers = build_delivery("payment.succeeded", {
        "order_reference": str(order.reference), "payment_id": payment_id,
        "amount": order.amount, "currency": order.currency})
    assert post_webhook(client, body, headers).status_code == 200


def dispute(client, order: Order | None, status: str, dispute_id: str = "dp_1", **extra):
    data = {"dispute_id": dispute_id, "payment_id": "pay_1", "amount": 1999, "currency": "usd",
            "reason": "fraudulent", **extra}
    if order is not None:
        data["order_reference"] = str(order.reference)
    body, headers = build_delivery(f"dispute.{status}", data)
    return post_webhook(client, body, headers)


def test_opened_dispute_is_recorded_against_the_order_and_its_payment(client, order):
    pay(client, order)

    response = dispute(client, order, "opened")

    assert response.status_code == 200
    assert response.json()["outcome"] == "recorded"
    recorded = Dispute.objects.get()
    assert recorded.order == order
    assert recorded.payment.provider_payment_id == "pay_1"
    assert (recorded.status, recorded.amount, recorded.currency) == ("opened", 1999, "USD")
    assert recorded.reason == "fraudulent"
    assert recorded.status not in Dispute.FINAL
    assert recorded.closed_at is None


def test_dispute_changes_neither_the_order_nor_ownership(client, order):
    pay(client, order)

    dispute(client, order, "opened")
    dispute(client, order, "lost")

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert PurchasedProduct.objects.active().filter(order=order).count() == 1
    assert Dispute.objects.get().status == Dispute.Status.LOST


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        (("opened", "challenged", "won"), "won"),
        (("won", "challenged", "opened"), "won"),
        (("challenged", "opened"), "challenged"),
        (("lost", "won"), "lost"),  # the first outcome stands
        (("opened", "expired", "challenged"), "expired"),
    ],
)
def test_status_only_moves_forward(client, order, sequence, final):
    pay(client, order)
    for status in sequence:
        assert dispute(client, order, status).status_code == 200

    recorded = Dispute.objects.get()
    assert recorded.status == final
    assert (recorded.closed_at is not None) == (final in Dispute.FINAL)


def test_dispute_naming_only_a_known_payment_finds_its_order(client, order):
    pay(client, order)

    dispute(client, None, "opened")

    assert Dispute.objects.get().order == order


def test_dispute_for_an_unknown_order_records_nothing(client, order):
    response = dispute(client, None, "opened", payment_id="pay_never_seen")

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_order"
    assert not Dispute.objects.exists()


def test_two_disputes_on_one_order_are_two_rows(client, order):
    pay(client, order)
    dispute(client, order, "opened", dispute_id="dp_1")
    dispute(client, order, "opened", dispute_id="dp_2")
    assert Dispute.objects.filter(order=order).count() == 2


def test_record_dispute_refuses_an_unusable_id(order):
    outcome = services.record_dispute(provider="dummy", order_reference=order.reference,
                                      provider_dispute_id="", status="opened")
    assert outcome == services.Outcome.INVALID
    assert not Dispute.objects.exists()


def test_unknown_status_counts_as_opened(order):
    services.record_dispute(provider="dummy", order_reference=order.reference,
                            provider_dispute_id="dp_9", status="weird")
    assert Dispute.objects.get().status == Dispute.Status.OPENED


def test_admin_lists_disputes_read_only(client, order, make_user):
    pay(client, order)
    dispute(client, order, "opened")
    recorded = Dispute.objects.get()
    staff = make_user(email="staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)

    listing = client.get(reverse("admin:marketplace_core_dispute_changelist"))
    detail = client.get(reverse("admin:marketplace_core_dispute_change", args=[recorded.pk]))
    add = client.get(reverse("admin:marketplace_core_dispute_add"))

    assert listing.status_code == 200
    assert "dp_1" in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()  # shown, not editable
    assert add.status_code == 403
