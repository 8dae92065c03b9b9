"""The header's navigation and the seller panel's sidebar on a phone and on a desktop,
with JavaScript off: on a 390 px screen each folds into a menu that opens with a tap
on its toggle; on a 1280 px screen the links are always shown and the toggles hidden.
With JavaScript, Escape or a tap outside closes the header's menu."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from integration.browser_checks import log_in, tab_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SCREENS = Path(os.environ.get("MARKETPLACE_TEST_ARTIFACTS", "test-artifacts")) / "screens"


def seller_page(browser: Any, live_server: Any, seller: Any, width: int, *,
                script: bool = False) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  java_script_enabled=script)
    page = context.new_page()
    log_in(page, live_server, seller)
    page.goto(f"{live_server.url}/seller/products/")
    return page


def test_on_a_phone_the_menus_open_with_a_tap_without_javascript(
        browser: Any, live_server: Any, make_seller: Any) -> None:
    page = seller_page(browser, live_server, make_seller(name="Sam Seller"), 390)
    main_nav = page.get_by_role("navigation", name="Main")
    panel_nav = page.get_by_role("navigation", name="Seller panel")
    assert not main_nav.get_by_role("link", name="Products").is_visible()
    assert not panel_nav.get_by_role("link", name="Sales").is_visible()
    # The panel's toggle names the page the seller is on.
    panel_toggle = page.locator(".panel-menu > summary")
    assert panel_toggle.inner_text() == "Seller panel: Products"

    page.get_by_text("Menu", exact=True).click()
    assert main_nav.get_by_role("link", name="Products").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "seller-menu-open-390.png"))
    page.get_by_text("Menu", exact=True).click()
    assert not main_nav.get_by_role("link", name="Products").is_visible()

    panel_toggle.click()
    panel_nav.get_by_role("link", name="Sales").click()
    page.wait_for_url("**/seller/sales/")
    assert page.locator(".panel-menu > summary").inner_text() == "Seller panel: Sales"
    page.context.close()


def test_on_a_desktop_the_links_show_and_the_toggles_do_not(
        browser: Any, live_server: Any, make_seller: Any) -> None:
    page = seller_page(browser, live_server, make_seller(name="Sam Seller"), 1280)
    assert page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Products").is_visible()
    assert page.get_by_role("navigation", name="Seller panel").get_by_role(
        "link", name="Sales").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    assert not page.get_by_text("Menu", exact=True).is_visible()
    assert not page.locator(".panel-menu > summary").is_visible()
    page.context.close()


def test_a_keyboard_user_sees_focus_and_opens_the_menu_with_enter(
        browser: Any, live_server: Any, make_seller: Any) -> None:
    page = seller_page(browser, live_server, make_seller(name="Sam Seller"), 390)
    tab_to(page, "Menu")
    outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert outline[0] != "none" and outline[1] >= 2, outline

    page.keyboard.press("Enter")
    assert page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Products").is_visible()
    page.context.close()


def test_with_javascript_escape_or_a_tap_outside_closes_the_phone_menu(
        browser: Any, live_server: Any, make_seller: Any) -> None:
    page = seller_page(browser, live_server, make_seller(name="Sam Seller"), 390, script=True)
    menu_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Products")
    toggle = page.get_by_text("Menu", exact=True)

    toggle.click()
    assert menu_link.is_visible()
    page.keyboard.press("Escape")
    assert not menu_link.is_visible()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"

    toggle.click()
    page.mouse.click(195, 780)  # below the open menu, on the page
    assert not menu_link.is_visible()
    page.context.close()
