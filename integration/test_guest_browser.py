"""A guest's whole journey in Chromium, every part real (PostgreSQL, Redis, a
Celery worker, an SMTP server): buy with an email address alone through the
dummy provider, download from the payment page, follow the receipt's link once,
ask for a "My purchases" link, and register with the same address to find the
purchase in My Products (docs/guests.md). The same purchase through Dodo's fake
is in ``integration/dodo/test_dodo_guest_browser.py``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from integration import mailbox
from integration.browser_checks import field
from marketplace_core.guests.identities import is_guest
from marketplace_core.ownership.models import Order
from marketplace_core.people.users import find_by_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox
mail_worker = mailbox.mail_worker

FILE_BYTES = b"%PDF-1.7 guest test " + bytes(range(256)) * 8
EMAIL = "grace.guest@example.com"
PASSWORD = "a-long-unusual-passphrase-93"


def downloaded(page: Any, name: str) -> bytes:
    """Click the link ``name`` and return the bytes of the file it downloads."""
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    return Path(info.value.path()).read_bytes()


def link_to(email: mailbox.ReceivedEmail, base_url: str, path: str) -> str:
    """The one link to ``base_url + path...`` in both parts of ``email``."""
    pattern = re.escape(base_url + path) + r"[^\s\"<>]*"
    found = set(re.findall(pattern, email.part("plain")))
    assert len(found) == 1 and found == set(re.findall(pattern, email.part("html"))), found
    return found.pop()


def shoot(page: Any, name: str) -> None:
    """Screenshots of the page at desktop and phone width (test-artifacts/)."""
    folder = Path("test-artifacts")
    folder.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        page.screenshot(path=folder / f"guest-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_guest_buys_downloads_comes_back_and_registers(
    live_server, mail_worker, smtp_mailbox, page, browser, make_product, settings
):
    settings.DEBUG = True  # local product files are served in development only
    product = make_product(title="Pattern Book", price=1250, currency="EUR",
                           content=FILE_BYTES, file_name="patterns.pdf")

    # Buy without an account.
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.get_by_role("link", name="Buy now").click()
    assert page.get_by_test_id("guest-note").is_visible()
    page.get_by_label("Full name").fill("Grace Guest")
    page.get_by_label("Email for the receipt").fill(EMAIL)
    page.get_by_label("Country").select_option("DE")
    shoot(page, "checkout")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay").click()
    page.get_by_role("heading", name="Payment received").wait_for(timeout=30_000)
    shoot(page, "paid")
    assert downloaded(page, "Download") == FILE_BYTES
    order = Order.objects.select_related("buyer").get(product=product)
    assert is_guest(order.buyer) and order.status == Order.Status.PAID

    # The receipt's link opens the purchase once, in another browser.
    (receipt,) = smtp_mailbox.wait_for(EMAIL)
    receipt_link = link_to(receipt, live_server.url, "/receipts/")
    elsewhere = browser.new_context().new_page()
    elsewhere.goto(receipt_link)
    shoot(elsewhere, "receipt-link")
    elsewhere.get_by_role("button", name="Open my purchase").click()
    elsewhere.wait_for_url(f"**/account/purchases/{order.reference}/")
    assert downloaded(elsewhere, "Download") == FILE_BYTES
    elsewhere.context.close()
    again = browser.new_context().new_page()
    again.goto(receipt_link)
    assert again.get_by_role("heading", name="This link was already used").is_visible()
    again.context.close()

    # "My purchases": from the login page, a link by email, the products.
    later = browser.new_context().new_page()
    later.goto(f"{live_server.url}/accounts/login/")
    later.get_by_role("link", name="Get a link to your purchases").click()
    shoot(later, "access")
    field(later, "Email address you bought with").fill(EMAIL)
    later.get_by_role("button", name="Email me a link").click()
    later.get_by_text("If this address has purchases, we sent it a link").wait_for()
    shoot(later, "access-sent")
    _, access = smtp_mailbox.wait_for(EMAIL, count=2)
    later.goto(link_to(access, live_server.url, "/account/purchases/access/"))
    shoot(later, "open-purchases")
    later.get_by_role("button", name="Open my purchases").click()
    later.wait_for_url("**/account/products/")
    assert later.get_by_text("Pattern Book").first.is_visible()
    assert downloaded(later, "Download") == FILE_BYTES
    later.context.close()

    # Registering with the address: a link to choose a password, then My Products.
    page.goto(f"{live_server.url}/accounts/register/")
    field(page, "Email address").fill(EMAIL)
    field(page, "Name").fill("Grace")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password again").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    *_, claim = smtp_mailbox.wait_for(EMAIL, count=3)
    assert claim.subject == "Finish your account at Marketplace"
    page.goto(link_to(claim, live_server.url, "/accounts/password-reset/"))
    page.get_by_role("heading", name="Choose a password for your account").wait_for()
    field(page, "New password").fill(PASSWORD)
    field(page, "New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url("**/account/products/")
    page.get_by_text("1 earlier purchase made with this address is now in your account.").wait_for()
    shoot(page, "claimed")
    assert page.get_by_text("Pattern Book").first.is_visible()
    assert downloaded(page, "Download") == FILE_BYTES
    assert not is_guest(find_by_email(EMAIL))
    page.get_by_role("button", name="Log out").click()  # the new password logs in
    page.goto(f"{live_server.url}/accounts/login/")
    field(page, "Email address").fill(EMAIL)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/products/")
    assert page.console_errors == []
