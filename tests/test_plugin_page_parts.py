"""Plugins' parts of three core pages: details under My Products rows
(``owned_product_details``), sections of the product edit page
(``seller_product_sections``) and receipt lines (``receipt_lines``). A plugin
that raises is left out and the page or email goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import install
from marketplace_core.testing.factories import buy
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    with fake_site(tmp_path, monkeypatch) as s, preserved_plugin_manager():
        yield s


@pytest.fixture
def broken(site: FakeSite) -> None:
    site.add_plugin("broken", hooks="""
        @hookimpl
        def owned_product_details(purchases):
            raise RuntimeError("down")

        @hookimpl
        def seller_product_sections(product):
            raise RuntimeError("down")

        @hookimpl
        def receipt_lines(order):
            raise RuntimeError("down")
        """)


def test_my_products_shows_details_per_purchase_with_one_call(
        site, broken, client, make_user, make_product, caplog) -> None:
    site.add_plugin("serials", hooks="""
        from marketplace_core.plugins.types import OwnedProductDetail

        calls = []

        @hookimpl
        def owned_product_details(purchases):
            calls.append(len(purchases))
            return [OwnedProductDetail(purchase_id=p.pk, label="Serial", value=f"S-{p.pk}",
                                       key="serial", copyable=True, note="keep it")
                    for p in purchases] + [
                OwnedProductDetail(purchase_id=999999, label="Serial", value="not mine"),
                "a plugin's bug: not a detail"]
        """)
    install(load_plugins(["broken", "serials"]))
    buyer = make_user()
    first, second = buy(buyer, make_product()), buy(buyer, make_product())
    client.force_login(buyer)

    page = client.get(reverse("marketplace:my_products")).content.decode()

    for purchase in (first, second):
        assert f">S-{purchase.pk}</code>" in page
    assert page.count('data-copy-target="detail-') == 2
    assert page.count("keep it") == 2
    assert "not mine" not in page
    assert site.module("serials").calls == [2]
    assert "'broken' failed to give owned product details" in caplog.text
    assert "an item of the wrong type" in caplog.text


def test_the_product_edit_page_shows_sections_below_the_form(
        site, broken, client, make_seller, make_product, caplog) -> None:
    site.add_plugin("extras", hooks="""
        from django.utils.html import format_html
        from marketplace_core.plugins.types import ProductSection

        @hookimpl
        def seller_product_sections(request, product):
            return [ProductSection(key="extras", title="Extras",
                                   html=format_html("<p>Settings of {}</p>", product.title)),
                    ProductSection(key="early", title="Early", html="<b>escaped</b>", order=1)]
        """)
    install(load_plugins(["broken", "extras"]))
    seller = make_seller()
    product = make_product(seller=seller, title="Guide")
    client.force_login(seller)

    page = client.get(reverse("marketplace:seller_product_update", args=[product.pk]))
    html = page.content.decode()

    assert page.status_code == 200
    assert html.index("</form>") < html.index('id="product-early"') < html.index(
        'id="product-extras"')
    assert "<p>Settings of Guide</p>" in html
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html
    assert "'broken' failed to give product sections" in caplog.text


def test_receipt_lines_are_in_both_parts_and_a_broken_plugin_does_not_stop_it(
        site, broken, settings, make_user, make_product, caplog,
        django_capture_on_commit_callbacks) -> None:
    site.add_plugin("receipt_serials", hooks="""
        from marketplace_core.plugins.types import ReceiptLine

        @hookimpl
        def receipt_lines(order):
            return [ReceiptLine(label="Serial", value=f"S-{order.pk}", key="serial")]
        """)
    # Changing MARKETPLACE rebuilds the plugin manager from its PLUGINS: first the setting.
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example"}
    install(load_plugins(["broken", "receipt_serials"]))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        purchase = buy(make_user(email="r@example.com"), make_product())

    (receipt,) = [m for m in mail.outbox if m.to == ["r@example.com"]]  # the seller is told too
    assert f"Serial: S-{purchase.order_id}" in receipt.body
    assert f"S-{purchase.order_id}" in receipt.alternatives[0][0]
    assert "'broken' failed to give receipt lines" in caplog.text
