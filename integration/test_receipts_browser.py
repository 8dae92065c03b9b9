"""A buyer's receipt through every real part, in Chromium: the dummy provider's
webhook delivered by a Celery worker, the receipt sent by that worker to a real
SMTP server, its link followed in the browser to the purchase and the exact file."""

from __future__ import annotations

import pytest

from integration import mailbox
from integration.browser_checks import log_in
from marketplace_core.ownership.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox
mail_worker = mailbox.mail_worker

FILE_BYTES = b"%PDF-1.7 receipt test " + bytes(range(256)) * 8


def test_the_receipt_arrives_once_and_its_link_leads_to_the_download(
    live_server, mail_worker, smtp_mailbox, page, make_user, make_product, settings
):
    settings.DEBUG = True  # local product files are served in development only
    product = make_product(title="Pattern Book", price=1250, currency="EUR",
                           content=FILE_BYTES, file_name="patterns.pdf")
    buyer = make_user(email="grace@example.com", name="Grace Buyer")
    log_in(page, live_server, buyer)

    page.goto(f"{live_server.url}/products/{product.slug}/buy/")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)

    (receipt,) = smtp_mailbox.wait_for("grace@example.com")
    order = Order.objects.get(buyer=buyer, product=product)
    assert receipt.subject == "Your receipt for Pattern Book from Marketplace"
    assert receipt.message["Auto-Submitted"] == "auto-generated"
    assert "noreply@localhost" in receipt.sender
    for part in (receipt.part("plain"), receipt.part("html")):
        assert "€12.50" in part and str(order.reference) in part and "7 days" in part
    link = receipt.link(live_server.url)

    page.goto(link)
    page.wait_for_url(f"**/account/purchases/{order.reference}/")
    assert page.get_by_role("heading", name="Pattern Book").is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    assert info.value.suggested_filename == "patterns.pdf"
    with open(info.value.path(), "rb") as handle:
        assert handle.read() == FILE_BYTES
    assert page.console_errors == []

    # "Resend receipt" in the order history sends a second copy, and only that.
    page.goto(f"{live_server.url}/account/orders/")
    page.get_by_role("button", name="Resend receipt").click()
    page.get_by_text("The receipt is on its way").wait_for()
    first, again = smtp_mailbox.wait_for("grace@example.com", count=2)
    assert again.subject == first.subject
    # ...and the seller heard about the sale once, by email through the same worker.
    (sale,) = smtp_mailbox.wait_for(product.seller.email)
    assert sale.subject == "New sale: Pattern Book · Marketplace"
    assert "Grace Buyer bought Pattern Book for €12.50." in sale.part("plain")
    assert len(smtp_mailbox.received) == 3
