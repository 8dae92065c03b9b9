"""Plugins' status badges on the seller's product pages (``seller_product_badges``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import install
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    with fake_site(tmp_path, monkeypatch) as s, preserved_plugin_manager():
        yield s


def test_badges_are_shown_per_product_and_a_broken_plugin_is_left_out(
    site: FakeSite, client, make_seller, make_product, caplog
) -> None:
    site.add_plugin(
        "badger",
        hooks="""
        from marketplace_core.plugins.types import ProductBadge

        @hookimpl
        def seller_product_badges(products):
            calls.append(len(products))
            return [ProductBadge(product_id=p.pk, label=f"Checked {p.title}", tone="success",
                                 detail="all good", key="badger")
                    for p in products if p.title != "Unchecked"] + [
                ProductBadge(product_id=999999, label="Not on this page")]

        calls = []
        """,
    )
    site.add_plugin(
        "broken",
        hooks="""
        @hookimpl
        def seller_product_badges(products):
            raise RuntimeError("badge service down")
        """,
    )
    install(load_plugins(["broken", "badger"]))
    seller = make_seller()
    checked = make_product(seller=seller, title="Checked Guide")
    unchecked = make_product(seller=seller, title="Unchecked")
    client.force_login(seller)

    page = client.get(reverse("marketplace:seller_products")).content.decode()

    row = page.split(f'data-product="{checked.slug}"')[1].split("</tr>")[0]
    other = page.split(f'data-product="{unchecked.slug}"')[1].split("</tr>")[0]
    assert "Checked Checked Guide" in row and 'title="all good"' in row
    assert 'data-badge="badger"' not in other
    assert "Not on this page" not in page
    assert site.module("badger").calls == [2]  # one call for the whole page
    assert "'broken' failed to give product badges" in caplog.text

    edit = client.get(reverse("marketplace:seller_product_update", args=[checked.pk]))
    assert "Checked Checked Guide" in edit.content.decode()
    assert "all good" in edit.content.decode()
