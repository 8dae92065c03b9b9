"""A seller refunds a Dodo sale in Chromium: the Celery worker asks the fake Dodo
(``POST /refunds`` through the SDK), and only Dodo's ``refund.succeeded`` webhook,
held back here until the seller saw the request pending, makes it final."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from integration import mailbox
from integration.browser_checks import log_in
from integration.processes import example_site_worker
from marketplace_core.ownership.models import Order, RefundRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox


@pytest.fixture
def dodo_mail_worker(transactional_db: Any, live_server: Any,
                     smtp_mailbox: mailbox.SmtpMailbox) -> Iterator[Any]:
    """The example site's worker with the Dodo settings, sending email to ``smtp_mailbox``."""
    with example_site_worker("integration.settings_dodo", EMAIL_HOST=smtp_mailbox.host,
                             EMAIL_PORT=str(smtp_mailbox.port), EMAIL_USE_TLS="0") as worker:
        yield worker


def wait_until(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert predicate(), f"timed out waiting for {what}"


def test_a_seller_refunds_a_dodo_sale(live_server, dodo, dodo_mail_worker, smtp_mailbox, page,
                                      make_user, make_seller, make_product, settings):
    seller = make_seller(email="dora@example.com", name="Dora's Fonts")
    product = make_product(seller=seller, title="Display Font", price=1500, currency="USD")
    buyer = make_user(email="dodo-refund@example.com", name="Dan Buyer")
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.get_by_role("link", name="Buy now").click()
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(f"{dodo.url}/checkout/cks_*")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)
    order = Order.objects.get(buyer=buyer, product=product)
    payment_id = dodo.checkout_of(str(order.reference))["payment_id"]

    log_in(page, live_server, seller)
    page.goto(f"{live_server.url}/seller/sales/")
    page.locator(f'tr[data-order="{order.reference}"] a').click()
    dodo.hold_webhooks()
    page.get_by_label("Reason (the buyer may see it)").fill("Licence issue")
    page.get_by_role("button", name="Refund up to $15.00").click()
    page.get_by_text("Refund of $15.00 requested").wait_for()

    # Dodo answered (the refund id is known) but its webhook is held: still pending.
    wait_until(lambda: RefundRequest.objects.get(order=order).provider_refund_id != "",
               "Dodo's answer")
    request = RefundRequest.objects.get(order=order)
    assert request.status == RefundRequest.Status.SENT
    refund = dodo.refunds[request.provider_refund_id]
    assert (refund["payment_id"], refund["amount"], refund["reason"]) == (
        payment_id, 1500, "Licence issue")
    page.reload()
    assert page.locator('[data-refund-request="sent"]').is_visible()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID

    assert dodo.release_webhooks() == ["refund.succeeded"]
    wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED,
               "the refund webhook")
    page.reload()
    assert page.locator("[data-order-status]").inner_text() == "Refunded"
    assert page.locator("[data-refund-request]").count() == 0
    assert RefundRequest.objects.get(order=order).status == RefundRequest.Status.SUCCEEDED

    _, notice = smtp_mailbox.wait_for("dodo-refund@example.com", count=2)
    assert notice.subject == "Your order of Display Font was refunded"
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}/account/products/")
    assert page.get_by_role("link", name="Download").count() == 0
    assert page.console_errors == []
