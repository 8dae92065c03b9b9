"""The product list in a real browser: HTMX search, category filters, pagination,
history, keyboard use and the page without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from integration.browser_checks import (
    mark_document,
    same_document,
    tab_to,
    unlabelled_inputs,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CARD_TITLES = "#results .product-card h3"


@pytest.fixture
def catalog(make_seller, make_product, make_category) -> dict[str, Any]:
    ana, bo = make_seller(name="Ana"), make_seller(name="Bo")
    icons = make_category(seller=ana, name="Icons")
    fonts = make_category(seller=bo, name="Fonts")
    courses = make_category(seller=bo, name="Courses")
    make_product(seller=ana, title="Watercolour Icons",
                 description="Hand-painted icons.").categories.add(icons)
    make_product(seller=bo, title="Serif Fonts", description="Bookish type.").categories.add(
        fonts)
    make_product(seller=bo, title="Watercolour Course",
                 description="Six lessons.").categories.add(courses)
    make_product(seller=ana, title="Line Icons", description="Crisp strokes.").categories.add(
        icons)
    return {"icons": icons, "fonts": fonts, "courses": courses}


@pytest.fixture
def products_page(page, live_server, catalog) -> Iterator[Any]:
    page.goto(f"{live_server.url}/products/")
    mark_document(page)
    yield page
    assert page.console_errors == []


def titles(page: Any) -> Any:
    return expect(page.locator(CARD_TITLES))


def shown(page: Any, count: int) -> list[str]:
    """The titles on the page, sorted, once there are ``count`` of them."""
    titles(page).to_have_count(count)
    return sorted(page.locator(CARD_TITLES).all_inner_texts())


def test_typing_updates_results_and_the_url_without_a_reload(products_page):
    page = products_page
    titles(page).to_have_count(4)
    page.get_by_label("Search products").press_sequentially("waterc", delay=40)
    page.wait_for_url(re.compile(r"/products/\?q=waterc$"))
    assert shown(page, 2) == ["Watercolour Course", "Watercolour Icons"]
    expect(page.get_by_role("status").filter(has_text="products for")).to_have_text(
        "2 products for “waterc”")
    assert same_document(page)


def test_two_categories_show_products_in_either(products_page):
    page = products_page
    page.get_by_label("Icons").check()
    page.wait_for_url(re.compile(r"category=icons"))
    titles(page).to_have_count(2)
    page.get_by_label("Fonts").check()
    page.wait_for_url(re.compile(r"category=fonts&category=icons"))
    assert shown(page, 3) == ["Line Icons", "Serif Fonts", "Watercolour Icons"]
    # With a search word, only products in those categories that match it remain.
    page.get_by_label("Search products").fill("watercolour")
    titles(page).to_have_text(["Watercolour Icons"])
    assert "q=watercolour" in page.url
    assert same_document(page)


def test_back_restores_the_previous_results(products_page):
    page = products_page
    search = page.get_by_label("Search products")
    search.press_sequentially("line", delay=40)
    page.wait_for_url(re.compile(r"\?q=line$"))
    titles(page).to_have_text(["Line Icons"])
    page.get_by_label("Courses").check()
    page.wait_for_url(re.compile(r"category=courses"))
    titles(page).to_have_count(0)

    page.go_back()
    page.wait_for_url(re.compile(r"\?q=line$"))
    titles(page).to_have_text(["Line Icons"])
    expect(search).to_have_value("line")
    expect(page.get_by_label("Courses")).not_to_be_checked()

    page.go_back()
    page.wait_for_url(re.compile(r"/products/$"))
    titles(page).to_have_count(4)
    expect(search).to_have_value("")
    assert same_document(page)


def test_refresh_and_bookmark_give_the_same_page(products_page, live_server):
    page = products_page
    page.get_by_label("Icons").check()
    page.wait_for_url(re.compile(r"category=icons"))
    bookmarked = page.url
    page.reload()
    titles(page).to_have_count(2)
    expect(page.get_by_label("Icons")).to_be_checked()
    page.goto(bookmarked)
    titles(page).to_have_count(2)
    expect(page.locator("#catalog-filters")).to_be_visible()


def test_htmx_pagination(page, live_server, make_seller, make_product):
    seller = make_seller()
    for i in range(30):
        make_product(seller=seller, title=f"Poster {i:02d}")
    page.goto(f"{live_server.url}/products/?q=poster")
    mark_document(page)
    titles(page).to_have_count(24)
    first_page = page.locator(CARD_TITLES).all_inner_texts()
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"\?q=poster&page=2$"))
    titles(page).to_have_count(6)
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert set(first_page).isdisjoint(page.locator(CARD_TITLES).all_inner_texts())
    page.get_by_role("link", name="Previous").click()
    page.wait_for_url(re.compile(r"\?q=poster&page=1$"))
    titles(page).to_have_count(24)
    assert same_document(page)
    assert page.console_errors == []


def test_every_control_is_labelled_and_reachable_by_keyboard(products_page, live_server,
                                                             make_seller, make_product):
    page = products_page
    assert unlabelled_inputs(page) == []
    tab_to(page, "q")
    page.keyboard.type("icons")
    page.wait_for_url(re.compile(r"\?q=icons$"))
    titles(page).to_have_count(2)
    tab_to(page, "category")  # the first category box
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"category="))
    tab_to(page, "Search")
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_visible()
    assert unlabelled_inputs(page) == []


def test_the_page_works_without_javascript(browser, live_server, catalog):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/products/")
        page.get_by_label("Search products").fill("icons")
        page.get_by_label("Fonts").check()
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"/products/\?q=icons&category=fonts$"))
        assert shown(page, 0) == []  # "icons" and in Fonts: nothing
        page.get_by_label("Fonts").uncheck()
        page.get_by_label("Icons").check()
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"category=icons$"))
        assert shown(page, 2) == ["Line Icons", "Watercolour Icons"]
    finally:
        context.close()


def test_home_page_is_labelled_and_clean(page, live_server, catalog):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="What people say")).to_be_visible()
    assert unlabelled_inputs(page) == []
    page.get_by_label("Search products").fill("serif")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/products/\?q=serif$"))
    titles(page).to_have_text(["Serif Fonts"])
    assert page.console_errors == []
