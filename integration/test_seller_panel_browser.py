"""The seller's product flow in a real browser against the example site:
create a draft, publish it, edit it, try to delete it once sold (refused, with
the offer to unpublish), unpublish. PostgreSQL and Redis are real; every page
is checked for JavaScript errors."""

from __future__ import annotations

import re

import pytest

from integration.browser_checks import log_in
from marketplace_core.catalog.models import Product
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.storage.backends import product_storage
from tests.panels_support import sell

pytestmark = pytest.mark.django_db(transaction=True)

FILE_BYTES = b"%PDF-1.4 watercolour basics, version 1\n" * 50


def row(page, title: str):
    return page.locator("table.seller-products tbody tr", has_text=title)


def test_create_draft_publish_edit_and_try_to_delete_a_sold_product(
    live_server, page, make_seller, make_category, make_user
):
    seller = make_seller(name="Sam Seller")
    make_category(seller=seller, name="Painting")
    make_category(seller=seller, name="Drawing")
    log_in(page, live_server, seller)

    page.goto(f"{live_server.url}/seller/")
    page.get_by_role("navigation", name="Seller panel").get_by_role(
        "link", name="Products").click()
    page.get_by_role("link", name="New product").click()

    # An incomplete form shows its errors next to the fields.
    page.get_by_label("Title").fill("Watercolour Basics")
    page.get_by_label("Price").fill("19.999")
    page.get_by_role("button", name="Publish").click()
    assert page.locator('[data-errors-for="price"]').inner_text() == (
        "USD prices have at most 2 decimal places.")
    assert page.locator('[data-errors-for="file"]').inner_text() == (
        "Upload the file buyers will download before publishing.")

    # Save as draft.
    page.get_by_label("Price").fill("19.99")
    page.get_by_label("Description").fill("Washes, brushes and paper.")
    page.get_by_label("Painting").check()
    page.get_by_label("File").set_input_files(
        files=[{"name": "watercolour basics.pdf", "mimeType": "application/pdf",
                "buffer": FILE_BYTES}])
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url("**/seller/products/")
    page.get_by_text("“Watercolour Basics” is saved as a draft.").wait_for()
    assert "Draft" in row(page, "Watercolour Basics").inner_text()
    product = Product.objects.get(title="Watercolour Basics")
    assert product.status == Product.Status.DRAFT
    assert product.file_name == "watercolour basics.pdf"  # the seller's own name, for buyers
    assert product.file.name.endswith("/watercolour_basics.pdf")  # the sanitized storage key
    with product_storage().open(product.file.name) as handle:
        assert handle.read() == FILE_BYTES

    # Publish it: it appears in the shop.
    row(page, "Watercolour Basics").get_by_role("link", name="Edit").click()
    assert page.get_by_label("Painting").is_checked()
    assert not page.get_by_label("Drawing").is_checked()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/seller/products/")
    assert "Published" in row(page, "Watercolour Basics").inner_text()
    page.goto(f"{live_server.url}/products/{product.slug}/")
    assert page.get_by_role("heading", name="Watercolour Basics").is_visible()

    # Edit it: new title and price, still published.
    page.goto(f"{live_server.url}/seller/products/")
    row(page, "Watercolour Basics").get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("Watercolour Basics, 2nd edition")
    page.get_by_label("Price").fill("24.50")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/seller/products/")
    edited = row(page, "2nd edition")
    assert "$24.50" in edited.inner_text() and "Published" in edited.inner_text()
    # On a phone the table scrolls in its box; the page itself does not get wider.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})

    # Someone buys it; deleting is refused and unpublishing offered instead.
    sell(make_user(), Product.objects.get(pk=product.pk))
    page.reload()
    row(page, "2nd edition").get_by_role("link", name="Delete").click()
    refusal = page.get_by_role("alert")
    assert re.search(r"has been sold \(1 buyer\)", refusal.inner_text())
    assert page.get_by_role("button", name="Delete product").count() == 0
    page.get_by_role("button", name="Unpublish instead").click()
    page.wait_for_url("**/seller/products/")
    page.get_by_text("is unpublished").wait_for()
    assert "Draft" in row(page, "2nd edition").inner_text()

    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    assert PurchasedProduct.objects.filter(product=product, revoked_at__isnull=True).count() == 1
    assert page.console_errors == []
