"""The seller's customers page in a real browser, on a desktop and on a phone.

On a 390 px phone the table's rows become cards (one labelled line per
column) and nothing scrolls sideways. Screenshots are kept in
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from marketplace_core.people.records import ensure_account
from tests.panels_support import refund, sell

from .test_seller_panel_browser import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def screenshot(page, name: str) -> None:
    folder = Path(os.environ.get("MARKETPLACE_TEST_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


@pytest.fixture
def shop(make_seller, make_user, make_product):
    seller = make_seller(name="Sam Seller")
    guide = make_product(seller=seller, title="Guide", price=1999, currency="USD")
    course = make_product(seller=seller, title="Course", price=3000, currency="EUR")
    alice = make_user(email="alice.liddell@example.com", name="Alice Liddell")
    sell(alice, guide, at=dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC))
    sell(alice, course)
    refund(sell(make_user(email="bob@example.com", name="Bob Builder"), guide), amount=500)
    guest = make_user(email="a.very.long.guest.address@example.org", name="")
    row = ensure_account(guest)
    row.guest, row.guest_email = True, "a.very.long.guest.address@example.org"
    row.save()
    sell(guest, course)
    return seller


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_customers_page_with_data(live_server, page, shop, size, name):
    log_in(page, live_server, shop)
    page.set_viewport_size(size)

    page.goto(f"{live_server.url}/seller/customers/")

    rows = page.locator("table.customers tbody tr")
    assert rows.count() == 3
    assert page.locator('[data-badge="guest"]').count() == 1
    alice = page.locator('tr[data-customer="alice.liddell@example.com"]')
    assert "€30.00" in alice.inner_text() and "$19.99" in alice.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    if size is PHONE:
        # Stacked: the customer heads a card of full-width labelled lines.
        cells = alice.locator("td")
        widths = [cells.nth(i).bounding_box()["width"] for i in range(cells.count())]
        assert min(widths) > 300
        label = cells.nth(1).evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"First purchase"'
    screenshot(page, f"seller-customers-{name}px.png")
    assert page.console_errors == []


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "1280"), (PHONE, "390")])
def test_customers_page_empty(live_server, page, make_seller, size, name):
    log_in(page, live_server, make_seller(name="New Seller"))
    page.set_viewport_size(size)

    page.goto(f"{live_server.url}/seller/customers/")

    assert page.get_by_text("Nobody has bought your products yet.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"seller-customers-empty-{name}px.png")


def test_exports_page_on_a_phone(live_server, page, shop):
    log_in(page, live_server, shop)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/seller/exports/?export=orders&start=2026-03-10&end=2026-03-01")

    assert page.get_by_text("The end date must be on or after the start date.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "seller-exports-390px.png")
