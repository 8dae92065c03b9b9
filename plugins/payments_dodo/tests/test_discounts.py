"""Discount codes at Dodo: each active code has a Dodo discount with its value,
kept in step by an idempotent task; checkout names it, Dodo charges the
discounted amount, and core's webhook amount check accepts the payment."""

from __future__ import annotations

import datetime as dt

import pytest
from marketplace_payments_dodo import discounts
from marketplace_payments_dodo.models import DodoDiscount
from marketplace_payments_dodo.tasks import sync_discount

from marketplace_core.discounts import services as code_services
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.plugins.registry import payment_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(make_seller):
    return make_seller()


@pytest.fixture
def product(make_product, seller):
    return make_product(seller=seller, title="Field Guide", price=1999, currency="EUR")


def save(seller, products=(), **fields) -> DiscountCode:
    """A code saved through core's service, as the seller's page does (the hook queues
    the task; without a broker it runs in process after commit)."""
    fields.setdefault("code", "SAVE25")
    fields.setdefault("percent", 25)
    return code_services.save_code(DiscountCode(**fields), seller=seller, products=products)


def routes(dodo):
    return [(e.method, e.route, e.status) for e in dodo.exchanges if "discount" in e.route]


def test_saving_a_code_creates_it_at_dodo_and_changes_patch_it(
        dodo, seller, product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code = save(seller, products=[product], usage_limit=10,
                    ends_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    link = DodoDiscount.objects.get(code_id=code.pk)
    held = dodo.discounts[link.dodo_discount_id]
    assert (held["type"], held["amount"], held["usage_limit"]) == ("percentage", 2500, 10)
    assert held["restricted_to"] == [product.dodo_product.dodo_product_id]
    assert held["expires_at"].startswith("2031-01-01T00:00:00")
    assert held["code"] == link.dodo_code != "SAVE25"  # Dodo's own code: unique per business

    code.percent = 30
    with django_capture_on_commit_callbacks(execute=True):
        code_services.save_code(code, seller=seller)
    assert dodo.discounts[link.dodo_discount_id]["amount"] == 3000
    assert sync_discount.apply(args=(code.pk,)).get() == link.dodo_discount_id  # idempotent
    assert [r[:2] for r in routes(dodo)] == [("POST", "/discounts"),
                                             ("PATCH", "/discounts/{discount_id}")]


def test_a_fixed_code_is_a_flat_discount_in_its_currency(
        dodo, seller, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code = save(seller, code="FIVE", kind="fixed", percent=None, amount=500,
                    currency="EUR")
    held = dodo.discounts[DodoDiscount.objects.get(code_id=code.pk).dodo_discount_id]
    assert held["type"] == "flat" and held["restricted_to"] == []
    assert held["currency_options"] == [{"currency": "EUR", "is_default": True,
                                         "max_amount_possible": 500, "minimum_subtotal": 0}]


def test_deactivating_or_deleting_a_code_deletes_it_at_dodo(
        dodo, seller, product, make_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        used = save(seller, code="USED")
        unused = save(seller, code="UNUSED")
    used_id = DodoDiscount.objects.get(code_id=used.pk).dodo_discount_id
    unused_id = DodoDiscount.objects.get(code_id=unused.pk).dodo_discount_id
    services.start_checkout(buyer=make_user(), product=product, provider="dodo",
                            discount_code="used")

    with django_capture_on_commit_callbacks(execute=True):
        assert code_services.remove_code(used) is False  # an order holds it: deactivated
        assert code_services.remove_code(unused) is True

    assert dodo.discounts[used_id].get("deleted") and dodo.discounts[unused_id].get("deleted")
    assert DodoDiscount.objects.get(code_id=used.pk).dodo_discount_id == ""
    assert not DodoDiscount.objects.filter(code_id=unused.pk).exists()
    assert sync_discount.apply(args=(unused.pk,)).get() is None  # again: nothing to do


def test_a_sync_that_finds_dodo_unavailable_raises_for_a_retry_and_the_retry_creates_it(
        dodo, seller):
    from marketplace_payments_dodo.client import DodoUnavailable

    code = DiscountCode.objects.create(seller=seller, code="LATER", percent=10)
    dodo.fail_next("POST", "/discounts", 503)

    with pytest.raises(DodoUnavailable, match="503"):  # the task retries on this
        discounts.sync_discount(code.pk)
    link = discounts.sync_discount(code.pk)
    assert link is not None and link.dodo_discount_id in dodo.discounts


def test_checkout_with_a_code_charges_the_discounted_amount_and_the_webhook_pays_it(
        dodo, seller, product, make_user, rf, live_server):
    from django.urls import reverse

    dodo.webhook_url = live_server.url + reverse("marketplace:payment_webhook",
                                                 kwargs={"provider": "dodo"})
    DiscountCode.objects.create(seller=seller, code="SAVE25", percent=25)  # never synced yet
    buyer = make_user()
    order = services.start_checkout(buyer=buyer, product=product, provider="dodo",
                                    billing={"name": "Ada", "email": "ada@example.org",
                                             "country": "DE"}, discount_code="save25")
    assert (order.amount, order.list_amount) == (1500, 1999)  # 25 % of 1999 is 499.75: 499 off
    request = rf.get("/", HTTP_HOST="shop.example.com")
    request.user = buyer

    session = payment_provider("dodo").start_checkout(request, order)

    sent = next(e.request for e in dodo.exchanges if e.route == "/checkouts")
    assert sent["discount_codes"] == [DodoDiscount.objects.get().dodo_code]
    assert dodo.checkout_amount(session.provider_checkout_id) == order.amount
    payment = dodo.settle_checkout(session.provider_checkout_id, "pay")
    dodo.wait_for_webhooks()
    order.refresh_from_db()
    assert payment["total_amount"] == 1500
    assert order.status == Order.Status.PAID
    assert order.payments.get(provider_payment_id=payment["payment_id"]).flag == ""


def test_the_fake_refuses_a_code_for_another_product(dodo, seller, product, make_product):
    other = make_product(seller=seller, price=1000, currency="EUR")
    code = save(seller, products=[other])
    link = discounts.sync_discount(code.pk)
    from marketplace_payments_dodo import client, sync

    with pytest.raises(client.DodoRejected, match="not valid for this product"):
        client.create_checkout_session(client.CheckoutRequest(
            product_id=sync.ensure_synced(product), customer_email="a@example.org",
            customer_name="A", billing=client.BillingAddress(country="DE"), metadata={},
            return_url="https://shop.example/", discount_code=link.dodo_code))
