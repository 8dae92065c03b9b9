"""Support requests in a real browser against the example site (support enabled by
default): the buyer opens a request from My Products, the seller sets a meeting
link and moves it to in progress, the buyer joins and completes it. PostgreSQL,
Redis and a Celery worker (the buyer's email task) are real; every page is checked
for JavaScript errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from marketplace_support.models import SupportRequest

from integration.browser_checks import another_person, log_in
from marketplace_core.testing.contracts_storage import buy

pytestmark = pytest.mark.django_db(transaction=True)

MEETING = "https://meet.example.com/brush-basics"


def test_buyer_requests_support_seller_schedules_buyer_completes(
    live_server: Any, celery_worker: Any, browser: Any, page: Any, make_user: Any,
    make_seller: Any, make_product: Any
) -> None:
    seller = make_seller(name="Sam Seller")
    product = make_product(seller=seller, title="Watercolour Brushes")
    buyer = make_user(name="Bea Buyer", email="bea@example.com")
    buy(buyer, product)

    # The buyer asks for help from My Products.
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}/account/products/")
    row = page.locator(f'[data-product="{product.slug}"]')
    row.get_by_role("link", name="Request support").click()
    page.get_by_label("Subject").fill("How do I clean the brushes?")
    page.get_by_label("How can the seller help?").fill("Soap or solvent? I paint with gouache.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/support/mine/#support-request-*")
    assert page.get_by_text("Your support request was sent to the seller.").is_visible()
    mine = page.locator(".support-request", has_text="How do I clean the brushes?")
    assert mine.locator("[data-status]").inner_text() == "Pending"
    assert mine.get_by_role("button", name="Mark as completed").count() == 0
    page.goto(f"{live_server.url}/account/products/")
    assert row.locator('[data-status-for="support"]').inner_text() == "Pending"
    assert row.get_by_role("link", name="View support request").is_visible()

    # The seller finds it under "Support requests", sets a meeting and starts.
    seller_page = another_person(browser, live_server, seller)
    seller_page.goto(f"{live_server.url}/seller/")
    seller_page.get_by_role("navigation", name="Seller panel").get_by_role(
        "link", name="Support requests", exact=True).click()
    seller_page.get_by_role("link", name="Pending (1)").click()
    seller_page.get_by_role("link", name="How do I clean the brushes?").click()
    assert seller_page.get_by_text("Soap or solvent? I paint with gouache.").is_visible()
    seller_page.get_by_label("Status").select_option(label="In progress")
    seller_page.get_by_label("Meeting link").fill(MEETING)
    seller_page.get_by_label("Notes (only you see these)").fill("Long-time customer.")
    seller_page.get_by_role("button", name="Save").click()
    seller_page.wait_for_url("**/support/incoming/")
    assert seller_page.get_by_text("Support request updated.").is_visible()
    seller_row = seller_page.locator("tr", has_text="How do I clean the brushes?")
    assert seller_row.locator("[data-status]").inner_text() == "In progress"

    # The buyer sees the meeting, joins, and marks the request completed.
    page.goto(f"{live_server.url}/support/mine/")
    mine = page.locator(".support-request", has_text="How do I clean the brushes?")
    assert mine.locator("[data-status]").inner_text() == "In progress"
    assert mine.get_by_role("link", name=MEETING).get_attribute("href") == MEETING
    assert "Long-time customer" not in page.content()
    assert mine.get_by_role("link", name="Cancel request").count() == 0
    mine.get_by_role("button", name="Mark as completed").click()
    assert page.get_by_text("Support request marked as completed.").is_visible()
    mine = page.locator(".support-request", has_text="How do I clean the brushes?")
    assert mine.locator("[data-status]").inner_text() == "Completed"
    assert mine.get_by_role("button").count() == 0
    page.goto(f"{live_server.url}/account/products/")
    assert row.locator('[data-status-for="support"]').inner_text() == "Completed"
    assert row.get_by_role("link", name="Request support").is_visible()

    # The seller's form is now locked.
    seller_page.goto(f"{live_server.url}/support/incoming/")
    seller_page.get_by_role("link", name="How do I clean the brushes?").click()
    assert seller_page.get_by_text("it is locked and can no longer be changed").is_visible()
    assert seller_page.get_by_label("Status").is_disabled()
    assert seller_page.get_by_role("button", name="Save").count() == 0

    assert SupportRequest.objects.get().status == "completed"
    # The worker emailed the buyer about the seller's change.
    assert re.search(r"support\.email_buyer\[[^\]]+\] succeeded in [\d.]+s: True",
                     celery_worker.output()), celery_worker.output()[-3000:]
    assert page.console_errors == []
    assert seller_page.console_errors == []
    seller_page.context.close()
