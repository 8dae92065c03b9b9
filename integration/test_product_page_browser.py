"""The product page and a seller's storefront in a real browser, on a desktop
(two columns: pictures left, buy box right) and on a 390 px phone (one column,
nothing scrolls sideways). Screenshots are kept in ``test-artifacts/``."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from marketplace_core.catalog.models import ProductFileVersion
from marketplace_core.people.models import SellerProfile

from .browser_checks import log_in
from .test_seller_customers_browser import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DESCRIPTION = """Twelve **hand-drawn star charts** for the northern sky, one per month.

- Printable at A3 and A4
- Constellation names in English and Latin
- A [guide to reading them](https://example.com/guide)

<script>alert("no")</script>
"""


@pytest.fixture
def shop(make_seller, make_product, make_category):
    seller = make_seller(name="Ada Lovelace")
    SellerProfile.objects.filter(pk=seller.pk).update(
        slug="ada", bio="I draw **maps of the sky** and teach people to read them.")
    charts = make_category(seller=seller, name="Star charts")
    prints = make_category(seller=seller, name="Prints")
    product = make_product(seller=seller, title="Northern Sky Star Charts", price=2400,
                           slug="northern-sky", description=DESCRIPTION,
                           file_name="northern-sky-charts.zip", content=b"z" * 5000)
    product.categories.add(charts, prints)
    ProductFileVersion.objects.create(
        product=product, number=2, label="2.1", file="x", file_name="northern-sky-charts.zip",
        file_size=5000, release_notes="Added **the winter hexagon** and fixed Orion's belt.")
    for n, title in enumerate(["Southern Sky", "Moon Atlas", "Planet Posters",
                               "Comet Calendar", "Eclipse Guide"]):
        make_product(seller=seller, title=title, price=900 + n * 100,
                     description=f"{title}: printable and annotated.").categories.add(charts)
    return product


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_the_product_page(live_server, page, shop, size, name):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/products/northern-sky/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northern Sky Star Charts")
    expect(page.get_by_test_id("seller-link")).to_have_attribute("href", "/sellers/ada/")
    expect(page.get_by_test_id("file-facts")).to_contain_text("ZIP")
    expect(page.locator(".more-from-seller .product-card")).to_have_count(4)
    page.get_by_test_id("whats-new").locator("summary").click()
    expect(page.locator(".release-notes")).to_contain_text("the winter hexagon")
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert data["offers"]["price"] == "24.00"
    gallery = page.locator(".product-media").bounding_box()
    buy_box = page.locator(".buy-box").bounding_box()
    assert gallery and buy_box
    if name == "1280":
        assert buy_box["x"] > gallery["x"] + gallery["width"] - 1  # side by side
    else:
        assert buy_box["y"] >= gallery["y"] + gallery["height"] - 1  # stacked
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"product-page-{name}px.png")
    assert page.console_errors == []


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_the_storefront(live_server, page, shop, size, name):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/sellers/ada/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.locator(".bio strong")).to_have_text("maps of the sky")
    expect(page.locator("#results .product-card")).to_have_count(6)
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"storefront-{name}px.png")
    page.get_by_label("Prints").check()
    page.wait_for_url(re.compile(r"/sellers/ada/\?.*category=prints"))
    expect(page.locator("#results .product-card h3")).to_have_text(["Northern Sky Star Charts"])
    assert page.console_errors == []


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_the_storefront_settings_page(live_server, page, shop, size, name):
    log_in(page, live_server, shop.seller)
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/seller/storefront/")
    expect(page.get_by_label("Storefront address")).to_have_value("ada")
    page.get_by_label("Storefront address").fill("sitemap")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is reserved")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"storefront-settings-{name}px.png")
    page.get_by_label("Storefront address").fill("ada-maps")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("storefront-link")).to_have_attribute("href", "/sellers/ada-maps/")
    assert page.console_errors == []
