"""In Chromium, at 390 and 1280 px: product cards with covers and placeholders, the
gallery partial, and the seller's gallery on the edit page. Every picture loads (its
variants are served), nothing scrolls sideways. With ``MEDIA_SCREENSHOTS=<folder>``
the pages are saved there as PNGs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from integration.browser_checks import log_in
from marketplace_core.catalog import images
from marketplace_core.catalog.versions import bump_catalog_version
from marketplace_core.media.demo import draw_cover
from marketplace_core.media.validation import validate_image
from tests.media_support import media_root, picture  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser,
              pytest.mark.usefixtures("media_root"), pytest.mark.urls("tests.urls_media")]

WIDTHS = (390, 1280)


#: Nothing makes the page scroll sideways.
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _look(page: Any, name: str) -> None:
    """Check the page fits its width; keep a screenshot when ``MEDIA_SCREENSHOTS`` is set."""
    assert page.evaluate(FITS), f"{name} scrolls sideways"
    if folder := os.environ.get("MEDIA_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _all_images_loaded(page: Any) -> bool:
    """Every picture on the page loads (lazy ones are made eager first: a slide
    scrolled out of view would never load), within a bounded wait."""
    page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
    page.wait_for_function("[...document.images].every(img => img.complete)", timeout=30_000)
    return bool(page.evaluate("[...document.images].every(img => img.naturalWidth > 0)"))


@pytest.fixture
def shop(make_seller, make_product):
    seller = make_seller(name="Pixel Studio")
    products = []
    for n, title in enumerate(["Line icon set", "Mountain photos", "Serif display",
                               "Habit tracker"]):
        product = make_product(seller=seller, title=title, description="A demo product " * 6)
        if n != 2:  # one without a cover: the placeholder
            images.apply_cover(product, draw_cover(title, "Icons"), remove=False)
            product.save()
            from marketplace_core.catalog.tasks import make_image_variants

            make_image_variants("cover", product.pk, product.cover_image.name)
        products.append(product)
    for color in ((220, 120, 40), (40, 120, 220)):
        row = images.add_gallery_image(products[0], seller=seller, alt_text="A close-up",
                                       image=validate_image(picture(size=(1200, 900),
                                                                    color=color)))
        from marketplace_core.catalog.tasks import make_image_variants

        make_image_variants("gallery", row.pk, row.image.name)
    bump_catalog_version()
    return seller, products


def test_cards_gallery_and_seller_gallery_fit_and_load(page, live_server, shop):
    seller, products = shop
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + "/products/")
        assert page.locator(".product-card").count() == 4
        assert page.locator(".product-card .image-placeholder").count() == 1
        assert _all_images_loaded(page), "a card's cover did not load"
        _look(page, f"catalog-{width}")

        page.goto(f"{live_server.url}/gallery-page/{products[0].slug}/")
        assert page.locator(".gallery-slide").count() == 3
        assert _all_images_loaded(page), "a gallery picture did not load"
        _look(page, f"gallery-{width}")
        page.locator(".gallery-thumbs a").nth(2).click()
        assert page.url.endswith(f"#picture-{products[0].images.last().pk}")

    log_in(page, live_server, seller)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/seller/products/{products[0].pk}/edit/")
        assert page.locator("[data-gallery-image]").count() == 2
        assert page.locator("[data-current-cover] img").count() == 1
        assert _all_images_loaded(page)
        _look(page, f"seller-gallery-{width}")
    assert page.console_errors == []
    # A file that is not a picture: the error under the gallery's field, scrolled to.
    page.set_input_files("#id_gallery-image", files=[{
        "name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture"}])
    page.get_by_role("button", name="Add to the gallery").click()
    error = page.locator('[data-errors-for="image"]')
    assert "not a JPEG, PNG, WebP or GIF" in error.inner_text()
    assert page.url.endswith("#gallery") and error.is_visible()
    assert page.locator("[data-gallery-image]").count() == 2
    page.set_viewport_size({"width": 390, "height": 900})
    error.scroll_into_view_if_needed()
    if folder := os.environ.get("MEDIA_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / "seller-gallery-error-390.png"))
    # Chromium logs the refused upload's status (400), nothing else.
    assert [error for error in page.console_errors if "400" not in error] == []
