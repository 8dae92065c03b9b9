"""A guest buys through Dodo's fake in Chromium, with the example site configured
for Dodo: no account, the receipt sent by a real Celery worker to a real SMTP
server, its link followed once to the purchase and the exact file
(docs/guests.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration import mailbox
from integration.dodo.conftest import SETTINGS_MODULE
from integration.processes import example_site_worker
from marketplace_core.guests.identities import is_guest
from marketplace_core.ownership.models import Order

pytestmark = pytest.mark.django_db(transaction=True)
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox

FILE_BYTES = b"PK\x03\x04 guest dodo archive " + bytes(range(256)) * 20
EMAIL = "dodo-guest@example.com"


@pytest.fixture
def dodo_mail_worker(transactional_db: Any, live_server: Any,
                     smtp_mailbox: mailbox.SmtpMailbox) -> Iterator[Any]:
    """The Dodo-configured site's Celery worker, sending email to ``smtp_mailbox``."""
    with example_site_worker(SETTINGS_MODULE, EMAIL_HOST=smtp_mailbox.host,
                             EMAIL_PORT=str(smtp_mailbox.port), EMAIL_USE_TLS="0") as worker:
        yield worker


def test_a_guest_buys_with_dodo_and_the_receipt_leads_to_the_file(
    live_server, dodo, dodo_mail_worker, smtp_mailbox, page, browser, make_product, settings
):
    settings.DEBUG = True  # local file downloads (the S3 plugin serves them in production)
    product = make_product(title="Icon Pack", price=1299, currency="USD", content=FILE_BYTES,
                           file_name="icons.zip")

    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.get_by_role("link", name="Buy now").click()
    page.get_by_label("Full name").fill("Dodo Guest")
    page.get_by_label("Email for the receipt").fill(EMAIL)
    page.get_by_label("Country").select_option("NL")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(f"{dodo.url}/checkout/cks_*")
    page.get_by_role("button", name="Pay").click()

    page.get_by_role("heading", name="Payment received").wait_for(timeout=30_000)
    order = Order.objects.select_related("buyer").get(product=product)
    assert order.status == Order.Status.PAID and is_guest(order.buyer)
    assert order.buyer.email == EMAIL
    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    assert Path(info.value.path()).read_bytes() == FILE_BYTES

    (receipt,) = smtp_mailbox.wait_for(EMAIL)
    assert receipt.subject == "Your receipt for Icon Pack from Marketplace"
    (link,) = {part.split(live_server.url + "/receipts/")[1].split()[0]
               for part in [receipt.part("plain")]}
    other = browser.new_context().new_page()
    other.goto(f"{live_server.url}/receipts/{link}")
    other.get_by_role("button", name="Open my purchase").click()
    other.wait_for_url(f"**/account/purchases/{order.reference}/")
    with other.expect_download() as info:
        other.get_by_role("link", name="Download").click()
    assert info.value.suggested_filename == "icons.zip"
    assert Path(info.value.path()).read_bytes() == FILE_BYTES
    assert page.console_errors == []
    other.context.close()
