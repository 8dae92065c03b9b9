"""One look everywhere, in a real browser at 1280 and 390 px: the login page, a form
with errors, the 404 and 403 pages, the logout confirmation, plugins' seller pages
and confirmations, the maintenance page. Each is in the site's layout with the way
back; nothing scrolls sideways on a phone; every form field has a label. Screenshots
go to ``test-artifacts/`` for a person to look at."""

from __future__ import annotations

import pytest
from marketplace_support.models import SupportRequest

from integration.browser_checks import log_in, unlabelled_inputs
from marketplace_core.maintenance.state import set_runtime_flag
from marketplace_core.ownership.models import PurchasedProduct
from tests.panels_support import sell

from .test_seller_customers_browser import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def look(page, name: str) -> None:
    """At each width: no sideways scrolling, every field labelled, a screenshot."""
    for width, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], (
            name, width)
        assert unlabelled_inputs(page) == [], name
        screenshot(page, f"look-{name}-{width}px.png")
    page.set_viewport_size(DESKTOP)


def test_key_pages_share_the_sites_look(live_server, page, make_seller, make_user,
                                        make_product):
    base = live_server.url

    # The login page names the site, not its host.
    page.goto(f"{base}/accounts/login/")
    assert page.title() == "Log in · Marketplace"
    assert "127.0.0.1" not in page.locator("main").inner_text()
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.locator('[data-errors-for="__all__"]').count() == 1
    look(page, "login-error")

    # 404, in the layout with the way home.
    response = page.goto(f"{base}/no-such-page/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    look(page, "404")
    page.get_by_test_id("home-link").click()
    page.wait_for_url(f"{base}/")

    # A customer on a seller page: 403, branded.
    customer = make_user(email="carol@example.com", name="Carol Customer")
    log_in(page, live_server, customer)
    response = page.goto(f"{base}/seller/")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Access denied").is_visible()
    look(page, "403")

    # Logout by GET asks; its button logs out.
    page.goto(f"{base}/accounts/logout/")
    assert page.get_by_role("heading", name="Log out?").is_visible()
    look(page, "logout-confirm")
    page.get_by_test_id("logout-form").get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("link", name="Log in").is_visible()

    # A plugin's seller page, with a form with errors, in the seller panel.
    seller = make_seller(name="Sam Seller")
    log_in(page, live_server, seller)
    page.goto(f"{base}/s/manage/new/")
    nav = page.get_by_role("navigation", name="Seller panel")
    assert nav.get_by_role("link", name="Short links").get_attribute("aria-current") == "page"
    page.get_by_label("Destination URL").fill("not a link")
    page.get_by_label("Maximum visits").fill("0")
    page.get_by_role("button", name="Create").click()
    assert page.locator('[data-errors-for="destination"]').count() == 1
    assert page.locator('[data-errors-for="max_visits"]').inner_text() == (
        "Ensure this value is greater than or equal to 1.")
    look(page, "shorturl-form-errors")

    # Core's product form: errors once each, the currency a select.
    page.goto(f"{base}/seller/products/new/")
    assert page.get_by_label("Currency").evaluate("el => el.tagName") == "SELECT"
    page.get_by_label("Price").fill("19.999")
    page.get_by_role("button", name="Publish").click()
    assert page.locator('[data-errors-for="price"]').count() == 1
    look(page, "product-form-errors")
    # A short link's delete asks first, in the panel.
    page.goto(f"{base}/s/manage/new/")
    page.get_by_label("Destination URL").fill("https://example.com/spring")
    page.get_by_label("Slug").fill("spring")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/s/manage/")
    page.locator("tr", has_text="spring").get_by_role("link", name="Delete").click()
    assert page.get_by_role("heading", name="Delete /spring?").is_visible()
    look(page, "shorturl-confirm-delete")

    # The support plugin's update form: Status a styled select, a final status asks first.
    order = sell(make_user(email="bob@example.com", name="Bob Buyer"),
                 make_product(seller=seller, title="Brush Guide"))
    support_request = SupportRequest.objects.create(
        purchase=PurchasedProduct.objects.get(order=order),
        subject="How do I clean the brushes?", message="Soap or solvent?")
    page.goto(f"{base}/support/incoming/{support_request.pk}/")
    assert page.get_by_label("Status").evaluate("el => el.tagName") == "SELECT"
    page.get_by_label("Status").select_option(label="Cancelled")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_test_id("confirm-final").is_visible()
    look(page, "support-update-confirm")
    support_request.refresh_from_db()
    assert support_request.status == "pending"

    # The maintenance page: the site's layout, the message, a way to try again.
    set_runtime_flag(True, message="Back at noon.")
    try:
        response = page.goto(f"{base}/products/")
        assert response is not None and response.status == 503
        assert page.get_by_role("heading", name="We'll be back soon").is_visible()
        assert page.get_by_text("Back at noon.").is_visible()
        look(page, "maintenance")
    finally:
        set_runtime_flag(False)

    # The browser logs the 404, 403 and 503 answers themselves; nothing else went wrong.
    assert [error for error in page.console_errors
            if not any(f"status of {code}" in error for code in (403, 404, 503))] == []
