"""A declined payment in Chromium: the page says why, never "thank you", and Try
again leads through a fresh checkout to the purchase."""

from __future__ import annotations

import pytest

from integration.browser_checks import log_in
from marketplace_core.ownership.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_declined_payment_shows_the_reason_and_try_again_works(
    live_server, celery_worker, page, make_user, make_product
):
    product = make_product(title="Brush Set", price=900, currency="EUR")
    buyer = make_user(email="bea@example.com", name="Bea Buyer")
    log_in(page, live_server, buyer)

    page.goto(f"{live_server.url}/products/{product.slug}/buy/")
    page.get_by_label("Country").select_option("FR")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Fail").click()

    # The worker delivers the failure; the page polls until it lands.
    heading = page.get_by_role("heading", name="Payment failed")
    heading.wait_for(timeout=30_000)
    assert page.get_by_text("Card declined (dummy provider)").is_visible()
    assert page.get_by_text("Thank you").count() == 0
    failed = Order.objects.get(buyer=buyer, product=product)
    assert failed.status == Order.Status.FAILED

    page.get_by_role("link", name="Try again").click()
    page.get_by_label("Country").select_option("FR")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)
    assert page.get_by_text("Payment received: Brush Set is yours.").is_visible()
    paid = Order.objects.get(buyer=buyer, product=product, status=Order.Status.PAID)
    assert paid.pk != failed.pk
    assert page.console_errors == []
