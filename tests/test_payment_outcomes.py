"""Honest payment outcomes: what the buyer is shown after the provider, abandoned
checkouts expiring, and sellers kept from buying their own products."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.ownership.tasks import EXPIRE_TASK, expire_pending_orders
from marketplace_core.periodic import periodic_tasks, run_due
from tests.panels_support import fail, sell

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user(email="ada@example.com")


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD")


def success_page(client, order: Order) -> str:
    response = client.get(f"/payments/success/?order={order.reference}")
    assert response.status_code == 200
    return response.content.decode()


def checkout(buyer, product) -> Order:
    return services.start_checkout(buyer=buyer, product=product, provider="dummy")


def pay(order: Order, payment_id: str = "pay_1") -> services.Outcome:
    return services.confirm_payment(provider="dummy", order_reference=order.reference,
                                    provider_payment_id=payment_id, amount=order.amount,
                                    currency=order.currency)


# ---------------------------------------------------------------------------
# the page the provider sends the buyer back to
# ---------------------------------------------------------------------------


def test_a_processing_payment_says_so_and_polls(client, buyer, product):
    order = checkout(buyer, product)
    client.force_login(buyer)
    page = success_page(client, order)
    assert "<h1>Payment processing</h1>" in page
    assert f'hx-get="/payments/orders/{order.reference}/status/"' in page
    assert "Thank you" not in page


def test_a_failed_payment_shows_the_providers_reason_and_try_again(client, buyer, product):
    order = checkout(buyer, product)
    services.record_payment_failure(provider="dummy", order_reference=order.reference,
                                    provider_payment_id="pay_1",
                                    reason="The card was declined.")
    client.force_login(buyer)
    page = success_page(client, order)
    assert "<h1>Payment failed</h1>" in page
    assert "The card was declined." in page
    assert f'href="/products/{product.slug}/buy/" data-action="try-again">Try again' in page
    assert "Thank you" not in page and "hx-get" not in page
    # The poll's fragment says the same once the failure lands.
    fragment = client.get(f"/payments/orders/{order.reference}/status/").content.decode()
    assert "Payment failed" in fragment and "The card was declined." in fragment


def test_try_again_starts_a_fresh_checkout(client, buyer, product):
    failed = fail(buyer, product)
    client.force_login(buyer)
    form = client.get(f"/products/{product.slug}/buy/")
    assert form.status_code == 200
    response = client.post(f"/products/{product.slug}/buy/",
                           {"name": "Ada", "email": "ada@example.com", "country": "DE"})
    assert response.status_code == 302
    fresh = Order.objects.get(buyer=buyer, product=product, status=Order.Status.PENDING)
    assert fresh.pk != failed.pk


def test_an_expired_checkout_says_so(client, buyer, product):
    order = checkout(buyer, product)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.EXPIRED)
    client.force_login(buyer)
    page = success_page(client, order)
    assert "<h1>Checkout expired</h1>" in page and "Start again" in page


def test_a_paid_order_goes_to_my_products(client, buyer, product):
    order = checkout(buyer, product)
    pay(order)
    client.force_login(buyer)
    response = client.get(f"/payments/success/?order={order.reference}", follow=True)
    assert response.redirect_chain == [("/account/products/", 302)]
    assert "Payment received: Field Guide is yours." in response.content.decode()


# ---------------------------------------------------------------------------
# abandoned checkouts
# ---------------------------------------------------------------------------


def test_pending_orders_expire_after_the_setting(settings, make_user, product):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PENDING_ORDER_TTL": 3600}
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(minutes=61), tick=False):
        old = checkout(make_user(), product)
    with time_machine.travel(now - dt.timedelta(minutes=59), tick=False):
        recent = checkout(make_user(), product)
    paid = checkout(make_user(), product)
    Order.objects.filter(pk=paid.pk).update(updated_at=now - dt.timedelta(days=3))
    pay(paid)

    assert expire_pending_orders.apply().get() == 1
    assert expire_pending_orders.apply().get() == 0  # a second run changes nothing

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "expired", recent.pk: "pending", paid.pk: "paid"}


def test_a_late_confirmation_still_grants_an_expired_order(buyer, product):
    with time_machine.travel(timezone.now() - dt.timedelta(days=2), tick=False):
        order = checkout(buyer, product)
    assert expire_pending_orders.apply().get() == 1

    assert pay(order) == services.Outcome.CONFIRMED

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at is not None
    assert services.owns(buyer, product)


def test_a_new_checkout_after_expiry_starts_a_new_order(buyer, product):
    with time_machine.travel(timezone.now() - dt.timedelta(days=2), tick=False):
        stale = checkout(buyer, product)
    fresh = checkout(buyer, product)  # no beat ran: the checkout expires it itself
    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == Order.Status.EXPIRED
    # Both get paid (the slow provider, then the new checkout): one ownership, one flag.
    assert pay(stale, "pay_1") == services.Outcome.CONFIRMED
    assert pay(fresh, "pay_2") == services.Outcome.FLAGGED
    assert PurchasedProduct.objects.filter(buyer=buyer, product=product).count() == 1


def test_expiry_is_a_periodic_task_run_in_process_when_the_site_asks(settings, client, buyer,
                                                                     product):
    assert EXPIRE_TASK in {task.task for task in periodic_tasks()}
    with time_machine.travel(timezone.now() - dt.timedelta(days=2), tick=False):
        order = checkout(buyer, product)

    client.get("/healthz")  # off by default: nothing runs after requests
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING

    settings.MARKETPLACE = {**settings.MARKETPLACE, "PERIODIC_TASKS_IN_PROCESS": True}
    client.get("/healthz")
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    # Not due again until its interval has passed.
    assert EXPIRE_TASK not in run_due()


# ---------------------------------------------------------------------------
# sellers and their own products
# ---------------------------------------------------------------------------


def test_a_seller_cannot_buy_their_own_product(client, make_seller, make_product):
    seller = make_seller(email="sam@example.com")
    own: Product = make_product(title="My Own Guide", seller=seller)
    client.force_login(seller)

    page = client.get(own.get_absolute_url()).content.decode()
    assert "This is your product." in page and 'data-action="buy"' not in page

    for response in (client.get(f"/products/{own.slug}/buy/", follow=True),
                     client.post(f"/products/{own.slug}/buy/", {
                         "name": "Sam", "email": "sam@example.com", "country": "DE"},
                         follow=True)):
        assert response.redirect_chain == [(own.get_absolute_url(), 302)]
        assert "This is your own product: you cannot buy it." in response.content.decode()
    assert not Order.objects.exists()
    with pytest.raises(Rejected) as refused:
        checkout(seller, own)
    assert refused.value.code == "own_product"


def test_a_seller_still_buys_other_sellers_products(client, make_seller, make_product):
    seller = make_seller()
    other = make_product(title="Someone Else's")
    client.force_login(seller)
    assert 'data-action="buy"' in client.get(other.get_absolute_url()).content.decode()
    assert client.get(f"/products/{other.slug}/buy/").status_code == 200


def test_an_owner_is_still_sent_to_their_download(client, buyer, product):
    sell(buyer, product)
    client.force_login(buyer)
    response = client.get(f"/products/{product.slug}/buy/")
    assert response["Location"] == "/account/products/"
