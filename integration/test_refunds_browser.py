"""A seller refunds a sale in Chromium, through every real part: the refund request sent
by a Celery worker to the dummy provider, whose signed refund webhook (delivered by
that worker) is what makes it final; the buyer loses the Download button and gets
the refund notice by SMTP."""

from __future__ import annotations

import time

import pytest

from integration import mailbox
from integration.browser_checks import log_in
from marketplace_core.ownership.models import Order, RefundRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox
mail_worker = mailbox.mail_worker


def wait_for_status(order: Order, status: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while Order.objects.get(pk=order.pk).status != status and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Order.objects.get(pk=order.pk).status == status


def test_a_seller_refunds_a_sale_and_the_buyer_loses_the_download(
    live_server, mail_worker, smtp_mailbox, page, make_user, make_seller, make_product
):
    seller = make_seller(email="sam@example.com", name="Sam's Shop")
    product = make_product(seller=seller, title="Lettering Course", price=2400,
                           currency="EUR")
    buyer = make_user(email="rita@example.com", name="Rita Buyer")
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}/products/{product.slug}/buy/")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)
    assert page.get_by_role("link", name="Download").is_visible()
    order = Order.objects.get(buyer=buyer, product=product)

    # The seller finds the sale and refunds all of it.
    log_in(page, live_server, seller)
    page.goto(f"{live_server.url}/seller/")
    page.get_by_role("link", name="Sales").click()
    page.locator(f'tr[data-order="{order.reference}"] a').click()
    assert page.get_by_label("Amount (EUR)").input_value() == "24.00"
    page.get_by_label("Reason (the buyer may see it)").fill("Course cancelled")
    page.get_by_role("button", name="Refund up to €24.00").click()
    page.get_by_text("Refund of €24.00 requested").wait_for()

    wait_for_status(order, Order.Status.REFUNDED)
    page.reload()
    assert page.locator("[data-order-status]").inner_text() == "Refunded"
    assert page.get_by_text("refunded €24.00 (Course cancelled)").is_visible()
    assert page.get_by_text("Revoked on").is_visible()
    assert page.get_by_role("button", name="Refund").is_disabled()
    assert RefundRequest.objects.get(order=order).status == RefundRequest.Status.SUCCEEDED

    # The buyer: no Download any more, and the notice (after the receipt) by email.
    _receipt, notice = smtp_mailbox.wait_for("rita@example.com", count=2)
    assert notice.subject == "Your order of Lettering Course was refunded"
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}/account/products/")
    assert page.get_by_role("link", name="Download").count() == 0
    assert page.console_errors == []
