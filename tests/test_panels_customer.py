"""The buyer's pages (seed §3 GenericOrderHistoryView, GenericMyProductListView; §4).

Order history turns orders into a billing list; My Products lists owned
products with Download, an "Updated" badge and plugin actions. Both run the
same number of queries for one row and for a full page, for the customer and
for the seller wrappers (``/seller/orders/``, ``/seller/purchases/``) alike.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from marketplace_core.catalog import services as catalog_services
from marketplace_core.ownership import services
from marketplace_core.payments.dummy import DummyProvider
from marketplace_core.plugins.types import ProductAction
from tests.panels_support import data_values, fail, logged_in, purchase_of, refund, sell, text_of
from tests.payments_support import fake_plugins, plugin_module

pytestmark = pytest.mark.django_db

ORDERS_URL = "/account/orders/"
MY_PRODUCTS_URL = "/account/products/"
SELLER_ORDERS_URL = "/seller/orders/"
SELLER_PURCHASES_URL = "/seller/purchases/"

#: The role wrappers of each generic page: the customer's, and the seller's
#: (``SellerOrderHistoryView``, ``SellerMyProductListView``), whose user is a seller.
ORDER_HISTORY_PAGES = [pytest.param(ORDERS_URL, "customer", id="customer"),
                       pytest.param(SELLER_ORDERS_URL, "seller", id="seller")]
MY_PRODUCTS_PAGES = [pytest.param(MY_PRODUCTS_URL, "customer", id="customer"),
                     pytest.param(SELLER_PURCHASES_URL, "seller", id="seller")]
SIDEBAR_LABEL = {"customer": 'aria-label="My account"', "seller": 'aria-label="Seller panel"'}


class ReceiptProvider(DummyProvider):
    """The dummy provider plus receipts for paid orders (what a real service offers)."""

    identifier = "receipting"
    verbose_name = "Receipting test provider"

    def receipt_url(self, order):
        paid = [p for p in order.payments.all() if p.status == "succeeded"]
        if order.status != "paid" or not paid:
            return None
        return f"https://pay.example/receipts/{paid[0].provider_payment_id}"


def receipting_plugin():
    return plugin_module("fake_receipts", register_payment_providers=lambda: [ReceiptProvider])


def billing_rows(html: str) -> list[list[str]]:
    """The order history table as lists of cell texts."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [[html_lib.unescape(text_of(cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                      flags=re.S)]
            for row in rows]


# ---------------------------------------------------------------------------
# order history
# ---------------------------------------------------------------------------


def test_order_history_is_a_billing_list_of_the_buyers_orders(make_user, make_product):
    buyer, someone_else = make_user(), make_user()
    guide = make_product(title="Watercolour Guide", price=1999, currency="USD")
    yen = make_product(title="Brush Set", price=1500, currency="JPY")
    failed = make_product(title="Failed Pack", price=500, currency="EUR")
    refunded = make_product(title="Refunded Course", price=4200, currency="EUR")
    paid_order = sell(buyer, guide, at=dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC))
    sell(buyer, yen, at=dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC))
    fail(buyer, failed)
    refund(sell(buyer, refunded, at=dt.datetime(2025, 3, 6, 10, 0, tzinfo=dt.UTC)))
    sell(someone_else, make_product(title="Not Mine"))

    html = logged_in(buyer).get(ORDERS_URL).content.decode()

    rows = billing_rows(html)
    assert [row[1:4] for row in rows] == [
        ["Failed Pack", "€5.00", "Failed"],
        ["Refunded Course", "€42.00", f"Refunded Refunded €42.00 on {date_format(timezone.now())}"],
        ["Brush Set", "¥1,500", "Paid"],
        ["Watercolour Guide", "$19.99", "Paid"],
    ]
    assert rows[3][0] == "March 4, 2025"  # the active language's date format
    # The payment service's ids are for staff; the buyer sees the order's reference.
    assert paid_order.payments.get().provider_payment_id not in html
    assert rows[3][4] == f"{str(paid_order.reference)[:8]}…"
    assert "Not Mine" not in html
    assert "data-receipt" not in html  # the dummy provider gives no receipts


def test_receipt_links_come_from_the_provider(make_user, make_product):
    buyer = make_user()
    with fake_plugins(receipting_plugin()):
        paid = sell(buyer, make_product(title="With Receipt"), provider="receipting")
        services.start_checkout(buyer=buyer, product=make_product(title="Unpaid"),
                                provider="receipting")

        html = logged_in(buyer).get(ORDERS_URL).content.decode()

    payment_id = paid.payments.get().provider_payment_id
    assert re.findall(r'<a href="([^"]+)"[^>]*data-receipt', html) == [
        f"https://pay.example/receipts/{payment_id}"
    ]


@pytest.mark.by_database
def test_order_history_is_paginated(make_user, make_product):
    buyer = make_user()
    product = make_product()
    for _ in range(23):
        fail(buyer, product)

    client = logged_in(buyer)
    first = client.get(ORDERS_URL).content.decode()
    second = client.get(ORDERS_URL, {"page": 2}).content.decode()

    assert len(data_values(first, "order")) == 20
    assert len(data_values(second, "order")) == 3
    assert set(data_values(first, "order")).isdisjoint(data_values(second, "order"))
    assert "Page 2 of 2" in second


@pytest.mark.by_database
@pytest.mark.parametrize(("url", "role"), ORDER_HISTORY_PAGES)
@pytest.mark.parametrize("orders", [1, 25])
def test_order_history_query_count_does_not_grow(
    orders, url, role, make_user, make_seller, make_product, django_assert_num_queries
):
    buyer = make_seller() if role == "seller" else make_user()
    for i in range(orders):
        order = sell(buyer, make_product(title=f"Item {i}"))
        if i % 2:
            refund(order)
    client = logged_in(buyer)

    # session, user with the person's seller/verified rows, count, orders with products,
    # payments, refunds
    with django_assert_num_queries(6):
        response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert SIDEBAR_LABEL[role] in html
    assert len(data_values(html, "order")) == min(orders, 20)


# ---------------------------------------------------------------------------
# my products
# ---------------------------------------------------------------------------


def replace_file(product, *, when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        catalog_services.save_product(
            product, seller=product.seller, publish=True,
            upload=ContentFile(b"version 2", name="guide-v2.pdf"),
        )


@pytest.mark.smoke
def test_my_products_shows_download_and_the_updated_badge_for_three_days(
    make_user, make_product
):
    buyer = make_user()
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=30), tick=False):
        old, fresh, edge, rebought = (make_product(title=t) for t in (
            "Old Guide", "Fresh Guide", "Edge Guide", "Bought After The Update"))
    for product in (old, fresh, edge):
        sell(buyer, product, at=now - dt.timedelta(days=10))
    replace_file(fresh, when=now - dt.timedelta(days=2, hours=23))
    replace_file(edge, when=now - dt.timedelta(days=3, hours=1))
    replace_file(rebought, when=now - dt.timedelta(days=1))
    sell(buyer, rebought)  # bought in its current version: nothing new for this buyer

    html = logged_in(buyer).get(MY_PRODUCTS_URL).content.decode()

    items = re.findall(r'<li class="owned-product" data-product="([^"]+)">(.*?)</li>', html,
                       flags=re.S)
    updated = {slug for slug, body in items if "badge-updated" in body}
    assert updated == {fresh.slug}
    assert {slug for slug, _ in items} == {old.slug, fresh.slug, edge.slug, rebought.slug}
    for slug, body in items:
        download = reverse("marketplace:product_download", kwargs={"slug": slug})
        assert f'href="{download}" data-action="download">Download</a>' in body


def test_refunded_products_leave_my_products(make_user, make_product):
    buyer = make_user()
    kept, gone = make_product(title="Kept"), make_product(title="Gone")
    sell(buyer, kept)
    refund(sell(buyer, gone))

    html = logged_in(buyer).get(MY_PRODUCTS_URL).content.decode()

    assert data_values(html, "product") == [kept.slug]


def test_plugin_actions_render_as_links_and_csrf_protected_buttons(make_user, make_product):
    buyer = make_user()
    product = make_product(title="Supported Course")
    order = sell(buyer, product)
    seen = []

    def product_actions(request, product, purchase):
        seen.append((request.user, product, purchase))
        return [
            ProductAction("Request support", f"/support/new/{purchase.pk}/", key="support",
                          status="In progress", order=200),
            ProductAction("Resend receipt", f"/receipts/{purchase.pk}/", key="resend",
                          method="post", order=100),
        ]

    client = logged_in(buyer)
    client.handler.enforce_csrf_checks = True
    with fake_plugins(plugin_module("fake_actions", product_actions=product_actions)):
        html = client.get(MY_PRODUCTS_URL).content.decode()

    purchase = purchase_of(order)
    assert seen == [(buyer, product, purchase)]
    assert data_values(html, "action") == ["download", "resend", "support"]
    form = re.search(r'<form method="post" action="/receipts/\d+/"[^>]*>(.*?)</form>', html,
                     flags=re.S)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert '<a class="button secondary" href="/support/new/' in html
    assert re.search(r'data-status-for="support">In progress<', html)


@pytest.mark.parametrize("failure", ["raises", "not a list"])
def test_a_failing_action_plugin_does_not_hide_the_product(failure, make_user, make_product):
    buyer = make_user()
    product = make_product(title="Still Downloadable")
    sell(buyer, product)

    def product_actions(request, product, purchase):
        if failure == "raises":
            raise RuntimeError("support database unavailable")
        return 42

    with fake_plugins(plugin_module("fake_broken_actions", product_actions=product_actions)):
        html = logged_in(buyer).get(MY_PRODUCTS_URL).content.decode()

    assert data_values(html, "product") == [product.slug]
    assert data_values(html, "action") == ["download"]


@pytest.mark.by_database
@pytest.mark.parametrize(("url", "role"), MY_PRODUCTS_PAGES)
@pytest.mark.parametrize("owned", [1, 25])
def test_my_products_query_count_does_not_grow(
    owned, url, role, make_user, make_seller, make_product, django_assert_num_queries
):
    buyer = make_seller() if role == "seller" else make_user()
    for i in range(owned):
        sell(buyer, make_product(title=f"Owned {i}"))

    def product_actions(request, product, purchase):
        return [ProductAction("Help", f"/help/{product.pk}/", key="help")]

    client = logged_in(buyer)
    # session, user with the person's seller/verified rows, count, purchases with products
    # and sellers (with the rows their names may come from)
    with (fake_plugins(plugin_module("fake_help", product_actions=product_actions)),
          django_assert_num_queries(4)):
        response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert SIDEBAR_LABEL[role] in html
    assert len(data_values(html, "product")) == min(owned, 20)
    assert len(data_values(html, "action")) == 2 * min(owned, 20)  # Download and Help


def test_customer_panel_sidebar_comes_from_nav_items(make_user):
    html = logged_in(make_user()).get(ORDERS_URL).content.decode()

    sidebar = html.split('aria-label="My account"', 1)[1].split("</nav>", 1)[0]
    assert data_values(sidebar, "nav") == ["my-products", "order-history", "profile",
                                           "password"]
    assert re.search(r'data-nav="order-history" aria-current="page"', sidebar)
