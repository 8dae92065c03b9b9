"""The walking skeleton in a real browser against every real part: PostgreSQL,
Redis, a Celery worker delivering the dummy provider's signed webhook, HTMX
polling on the payment page, and the download of the exact file."""

from __future__ import annotations

import urllib.request

import pytest

from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

FILE_BYTES = b"PK\x03\x04 demo archive " + bytes(range(256)) * 20


def test_buy_with_dummy_provider_then_download(live_server, celery_worker, page, make_user,
                                               make_product, settings):
    settings.DEBUG = True
    product = make_product(title="Icon Pack", content=FILE_BYTES, file_name="icons.zip")
    buyer = make_user(email="walker@example.com", name="Walker")

    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.locator('[data-action="login"]').click()  # "No account needed, or log in"
    page.get_by_label("Email address").fill(buyer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{product.get_absolute_url()}")

    page.get_by_role("link", name="Buy now").click()
    assert page.get_by_label("Email for the receipt").input_value() == buyer.email
    page.get_by_label("Country").select_option("NL")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/payments/dummy/checkout/**")
    page.get_by_role("button", name="Pay").click()

    # The worker delivers the signed webhook; the success page polls with HTMX
    # until it is confirmed, then lands on My Products.
    page.wait_for_url("**/account/products/", timeout=30_000)
    assert page.get_by_text("Icon Pack").first.is_visible()
    order = Order.objects.get(buyer=buyer, product=product)
    assert order.status == Order.Status.PAID
    assert PurchasedProduct.objects.filter(buyer=buyer, product=product).count() == 1
    assert page.console_errors == []

    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename == "icons.zip"
    with open(download.path(), "rb") as handle:
        assert handle.read() == FILE_BYTES


def test_pages_load_htmx_from_own_static_files(live_server, client):
    html = client.get("/products/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert '<meta name="csrf-token" content="' in html.split("<body")[0]
    assert "https://" not in html.split("<body")[0], "no third-party assets in <head>"
    with urllib.request.urlopen(f"{live_server.url}/static/django_htmx/htmx-2.min.js") as resp:
        assert resp.status == 200
        assert b"htmx" in resp.read(2000)
