"""In Chromium: the buyer's key on My Products with a working Copy button, and
the seller's license pages, on a phone and on a desktop. With
``LICENSES_SCREENSHOTS=<folder>`` the pages are also saved there as PNGs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_licenses import services
from marketplace_licenses.models import LicenseKey

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS = (390, 1280)


def _login(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("LICENSES_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fits(page: Any) -> bool:
    """Nothing makes the page scroll sideways."""
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_my_products_shows_the_key_and_copies_it(page, live_server, buyer, product):
    from marketplace_core.testing.factories import buy

    key = LicenseKey.objects.get(purchase=buy(buyer, product))
    services.activate(key.key, "Studio PC")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    _login(page, live_server, buyer)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + reverse("marketplace:my_products"))
        shown = page.locator('[data-detail="license-key"] code')
        assert shown.inner_text() == key.key
        button = page.locator('[data-detail="license-key"] button')
        assert button.is_visible()
        assert _fits(page), f"My Products scrolls sideways at {width} px"
        _shot(page, f"my-products-{width}")
    button.click()
    page.wait_for_function("() => navigator.clipboard.readText()"
                           f".then(text => text === {key.key!r})", timeout=10_000)
    assert page.console_errors == []


def test_the_seller_pages_fit_phone_and_desktop(page, live_server, seller, buyer, product,
                                                make_user):
    from marketplace_core.testing.factories import buy

    key = LicenseKey.objects.get(purchase=buy(buyer, product))
    services.activate(key.key, "Studio PC")
    services.activate(key.key, "Laptop (travel)")
    buy(make_user(name="Carl Customer"), product)
    _login(page, live_server, seller)
    pages = {
        "seller-keys": reverse("licenses:keys"),
        "seller-key": reverse("licenses:key_detail", args=[key.pk]),
        "seller-product-edit": reverse("marketplace:seller_product_update", args=[product.pk]),
    }
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.goto(live_server.url + path)
            assert _fits(page), f"{name} scrolls sideways at {width} px"
            _shot(page, f"{name}-{width}")
    page.goto(live_server.url + pages["seller-key"])
    page.click('[data-action="free"] >> nth=0')
    page.wait_for_selector("text=is removed")
    assert page.locator('[data-testid="activations"]').inner_text() == "1 / 3"
    assert page.console_errors == []
