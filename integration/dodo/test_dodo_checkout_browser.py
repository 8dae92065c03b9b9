"""Buying with Dodo in a real browser, against the example site configured for Dodo.

Everything is real but Dodo: PostgreSQL, Redis, the example site's settings
read from its environment, the official SDK, Chromium. Dodo is the fake Dodo
server, reached over HTTP: its hosted checkout page is what the browser sees,
and its signed webhook, sent over HTTP to the live server, is what pays.
"""

from __future__ import annotations

import time

import pytest
from django.core.files.base import ContentFile
from marketplace_payments_dodo.models import DodoProduct
from marketplace_payments_dodo.sync import sync_status

from integration.browser_checks import log_in
from marketplace_core.catalog.models import Product
from marketplace_core.catalog.services import save_product
from marketplace_core.ownership.models import Order, Payment, PurchasedProduct

pytestmark = pytest.mark.django_db(transaction=True)

FILE_BYTES = b"PK\x03\x04 dodo demo archive " + bytes(range(256)) * 20


def test_buy_with_dodo_then_download(live_server, dodo, page, make_user, make_product, settings):
    settings.DEBUG = True  # local file downloads (the S3 plugin serves them in production)
    product = make_product(title="Icon Pack", price=1299, currency="USD", content=FILE_BYTES,
                           file_name="icons.zip")
    buyer = make_user(email="dodo-buyer@example.com", name="Dodo Buyer")
    log_in(page, live_server, buyer)

    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.get_by_role("link", name="Buy now").click()
    assert page.get_by_label("Full name").input_value() == "Dodo Buyer"
    assert page.get_by_label("Email for the receipt").input_value() == buyer.email
    page.get_by_label("Country").select_option("NL")
    page.get_by_role("button", name="Continue to payment").click()

    # Dodo's hosted checkout (the fake's page), for the product synced on demand.
    page.wait_for_url(f"{dodo.url}/checkout/cks_*")
    assert page.get_by_text("Icon Pack").is_visible()
    assert page.get_by_text("12.99 USD").is_visible()
    order = Order.objects.get(buyer=buyer, product=product)
    session = dodo.checkout_of(str(order.reference))
    assert session["metadata"] == {"order_reference": str(order.reference)}
    assert session["billing_address"] == {"country": "NL"}
    assert DodoProduct.objects.get(product=product).dodo_product_id == \
        session["product_cart"][0]["product_id"]
    page.get_by_role("button", name="Pay").click()

    # Back on the site: the success page polls until the webhook has paid the
    # order, then lands on My Products.
    page.wait_for_url("**/account/products/", timeout=30_000)
    assert page.get_by_text("Icon Pack").first.is_visible()
    download_link = page.get_by_role("link", name="Download")
    assert download_link.is_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert PurchasedProduct.objects.filter(buyer=buyer, product=product).count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.provider == "dodo"
    assert payment.provider_payment_id == session["payment_id"]
    assert {(w.event_type, tuple(w.attempts)) for w in dodo.webhooks} == {
        ("payment.processing", (200,)), ("payment.succeeded", (200,))}

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == "icons.zip"
    with open(download.path(), "rb") as handle:
        assert handle.read() == FILE_BYTES


def test_refund_at_dodo_takes_the_product_away(live_server, dodo, page, make_user, make_product):
    product = make_product(title="Font Bundle", price=900)
    buyer = make_user(email="refunded@example.com")
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.get_by_role("link", name="Buy now").click()
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(f"{dodo.url}/checkout/cks_*")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)
    order = Order.objects.get(buyer=buyer, product=product)

    dodo.refund(dodo.checkout_of(str(order.reference))["payment_id"], reason="Changed my mind")
    dodo.wait_for_webhooks()

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    page.reload()
    assert page.get_by_text("Font Bundle").count() == 0


def test_product_a_seller_publishes_is_synced_to_dodo_by_a_celery_worker(
    live_server, dodo, dodo_celery_worker, make_seller
):
    seller = make_seller()
    product = Product(title="Sound Kit", description="Drums.", price=4900, currency="EUR")

    # The seller's save: core emits product_saved after commit; the plugin queues the sync.
    save_product(product, seller=seller, publish=True,
                 upload=ContentFile(b"PK\x03\x04 drums", name="drums.zip"))

    deadline = time.monotonic() + 30
    while sync_status(product).state != "synced" and time.monotonic() < deadline:
        time.sleep(0.2)
    status = sync_status(product)
    assert status.state == "synced", (status, dodo_celery_worker.output()[-3000:])
    sent = dodo.products[status.dodo_product_id]
    assert (sent["name"], sent["description"]) == ("Sound Kit", "Drums.")
    assert (sent["price"]["price"], sent["price"]["currency"]) == (4900, "EUR")
    assert "payments_dodo.sync_product" in dodo_celery_worker.output()

    # An edit reaches the same Dodo product.
    product.price = 5900
    save_product(product, seller=seller, publish=True)
    deadline = time.monotonic() + 30
    while dodo.products[status.dodo_product_id]["price"]["price"] != 5900 and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    assert dodo.products[status.dodo_product_id]["price"]["price"] == 5900
    assert len(dodo.products) == 1
