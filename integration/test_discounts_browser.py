"""A discount code in Chromium: the buyer applies it, sees the new total (HTMX),
pays the discounted amount with the dummy provider, and the seller sees the
code's use counted."""

from __future__ import annotations

import pytest

from integration.browser_checks import log_in
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.ownership.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_buyer_pays_the_discounted_amount_and_the_seller_sees_the_use(
    live_server, celery_worker, page, make_user, make_seller, make_product
):
    seller = make_seller(email="sol@example.com")
    product = make_product(seller=seller, title="Brush Set", price=900, currency="EUR")
    code = DiscountCode.objects.create(seller=seller, code="SPRING20", percent=20,
                                       usage_limit=5)
    buyer = make_user(email="bea@example.com", name="Bea Buyer")
    log_in(page, live_server, buyer)

    page.goto(f"{live_server.url}/products/{product.slug}/buy/")
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Discount code").fill("nope")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("This code is not valid for this product.").wait_for()
    page.get_by_label("Discount code").fill("spring20")
    page.get_by_role("button", name="Apply").click()
    total = page.get_by_test_id("total")
    total.filter(has_text="€7.20").wait_for()
    assert page.get_by_test_id("discount").inner_text() == "\N{MINUS SIGN}€1.80"
    assert page.get_by_text("This code is not valid").count() == 0
    page.get_by_role("button", name="Continue to payment").click()

    assert page.get_by_text("€7.20").first.is_visible()  # the dummy provider's page
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)
    order = Order.objects.get(buyer=buyer, product=product)
    assert (order.status, order.amount, order.list_amount) == (Order.Status.PAID, 720, 900)
    assert order.payments.get().amount == 720
    page.goto(f"{live_server.url}/account/orders/")
    assert page.get_by_text("€7.20").first.is_visible()
    assert page.get_by_text("code SPRING20: \N{MINUS SIGN}€1.80").is_visible()

    log_in(page, live_server, seller)
    page.goto(f"{live_server.url}/seller/discounts/")
    row = page.locator(f'tr[data-code="{code.code}"]')
    assert row.get_by_test_id("used").inner_text() == "1 / 5"
    assert page.console_errors == []
