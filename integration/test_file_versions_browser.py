"""File versions in a real browser: the seller's product page with its versions,
and the buyer's download page, on a desktop and on a 390 px phone.

Nothing scrolls sideways; on a phone the seller's versions table becomes
cards. Screenshots are kept in ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace_core.catalog.file_versions import VersionDetails
from marketplace_core.catalog.services import save_product
from marketplace_core.testing.factories import buy

from .browser_checks import log_in
from .test_seller_customers_browser import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


NOTES = {
    "1.0": "First release.",
    "1.1": "Adds **two** brushes and fixes the [install guide](https://example.com/guide).",
    "2.0": "## Highlights\n\n- A new engine, twice as fast\n- Dark mode\n\n"
           "<script>alert('no')</script> stays text.",
}


@pytest.fixture
def shop(make_seller, make_user, make_product):
    seller = make_seller(name="Sam Seller")
    product = make_product(seller=seller, title="Watercolour Brush Pack", content=None)
    buyer = make_user(email="alice@example.com", name="Alice")
    for i, (label, notes) in enumerate(NOTES.items()):
        save_product(product, seller=seller, publish=True,
                     upload=SimpleUploadedFile(f"brush-pack-{label}.zip",
                                               b"x" * (40_000 * (i + 1))),
                     version=VersionDetails(label=label, release_notes=notes))
        if i == 0:
            buy(buyer, product)
    product.download_limit = 5
    product.link_lifetime_minutes = 30
    product.save(update_fields=["download_limit", "link_lifetime_minutes"])
    return seller, buyer, product


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_the_buyer_download_page(live_server, page, shop, size, name):
    _, buyer, product = shop
    log_in(page, live_server, buyer)
    page.set_viewport_size(size)

    page.goto(f"{live_server.url}/account/products/{product.pk}/downloads/")

    versions = page.locator("li.file-version")
    assert versions.count() == 3
    assert page.locator("[data-downloads-left]").inner_text() == "5 of 5"
    assert "30 minutes" in page.locator("[data-link-lifetime]").inner_text()
    assert page.locator(".release-notes script").count() == 0
    assert page.locator(".release-notes li").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"buyer-downloads-{name}px.png")
    assert page.console_errors == []


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_the_seller_product_page_with_versions(live_server, page, shop, size, name):
    seller, _, product = shop
    log_in(page, live_server, seller)
    page.set_viewport_size(size)

    page.goto(f"{live_server.url}/seller/products/{product.pk}/edit/")

    assert page.locator("table.file-versions-table tbody tr").count() == 3
    assert page.locator('[name="version_label"]').is_visible()
    assert page.locator('[name="notify_buyers"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"seller-product-versions-{name}px.png")
    assert page.console_errors == []


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_the_sale_page_lists_downloads(live_server, page, shop, size, name):
    from django.test import Client

    from marketplace_core.ownership.models import Download, Payment

    seller, buyer, product = shop
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko Firefox/140.0")
    client.force_login(buyer)
    first = product.file_versions.get(label="1.0")
    assert client.get(f"/products/{product.slug}/download/{first.pk}/").status_code == 302
    # An hour earlier, so the newest-first list has an order whatever the time of day.
    Download.objects.update(created_at=Download.objects.get().created_at - timedelta(hours=1))
    assert client.get(f"/products/{product.slug}/download/").status_code == 302
    order = product.purchases.get().order
    reference = order.reference
    # A failed attempt first, with a long provider id (one word) and a long reason:
    # at 1280 px the id squeezed the Status column and pushed the table out of its box.
    Payment.objects.create(
        order=order, provider="dummy", provider_payment_id="pay_" + "7Hq2xZ" * 12,
        amount=order.amount, currency=order.currency, status=Payment.Status.FAILED,
        failure_reason="The card issuer declined the payment: the card was reported lost "
                       "or stolen; ask the buyer to use another card.")
    log_in(page, live_server, seller)
    page.set_viewport_size(size)

    page.goto(f"{live_server.url}/seller/sales/{reference}/")

    rows = page.locator("table.sale-downloads tbody tr")
    assert rows.count() == 2
    assert "2.0" in rows.nth(0).inner_text() and "1.0" in rows.nth(1).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    # The payments table (the provider's id is a long word) neither scrolls sideways
    # inside its container: on a phone each payment is a card, as each download is.
    payment = page.locator("table.sale-payments tbody tr[data-payment]")
    assert payment.count() == 2
    assert "7Hq2xZ" in page.locator("table.sale-payments").inner_text()
    overflowing = page.evaluate(
        "[...document.querySelectorAll('.table-scroll')]"
        ".filter(el => el.scrollWidth > el.clientWidth).map(el => el.innerHTML.slice(0, 60))")
    assert overflowing == []
    screenshot(page, f"sale-downloads-{name}px.png")
    assert page.console_errors == []
