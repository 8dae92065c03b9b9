"""The conversation of a support request in a real browser against the example site:
the buyer writes from their request's page, the seller reads it and answers on theirs,
the buyer reads the answer; each message is emailed to the other side by a real
Celery worker through a real SMTP server, and the buyer's link leads to the answer.
Both pages are screenshotted at phone and desktop width (``test-artifacts/``) and
must fit them; every page is checked for JavaScript errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from marketplace_support.models import SupportMessage, SupportRequest

from integration import mailbox
from integration.browser_checks import another_person, log_in
from marketplace_core.notifications.preferences import NotificationPreference
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.contracts_storage import buy

fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox
mail_worker = mailbox.mail_worker

pytestmark = pytest.mark.django_db(transaction=True)


def shoot(page: Any, name: str) -> None:
    """Screenshots of the page at desktop and phone width; neither scrolls sideways."""
    folder = Path(os.environ.get("MARKETPLACE_TEST_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top of the image
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        page.screenshot(path=str(folder / f"support-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def thread(page: Any) -> list[str]:
    return [" ".join(text.split()) for text in
            page.locator(".support-thread .support-message-body").all_inner_texts()]


def link_in(email: mailbox.ReceivedEmail, base_url: str) -> str:
    [link] = re.findall(re.escape(base_url) + r"/support/[^\s]+", email.part("plain"))
    return str(link)


def test_buyer_and_seller_write_to_each_other(
    live_server: Any, mail_worker: Any, smtp_mailbox: Any, browser: Any, page: Any,
    make_user: Any, make_seller: Any, make_product: Any
) -> None:
    seller = make_seller(name="Sam Seller", email="sam@example.com")
    # The seller hears only of messages here (the sale made below would email them too).
    NotificationPreference.objects.create(user=seller, event="sale", channel="email",
                                          enabled=False)
    product = make_product(seller=seller, title="Watercolour Brushes")
    buyer = make_user(name="Bea Buyer", email="bea@example.com")
    support_request = SupportRequest.objects.create(
        purchase=buy(buyer, product), subject="How do I clean the brushes?",
        message="Soap or solvent?\nI paint with gouache.")

    # The buyer opens the request from their list and writes.
    log_in(page, live_server, buyer)
    page.goto(f"{live_server.url}/support/mine/")
    page.get_by_role("link", name="How do I clean the brushes?").click()
    page.wait_for_url(f"**/support/{support_request.pk}/")
    page.get_by_label("Your message").fill("Also: how long do they dry?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(re.compile(rf"/support/{support_request.pk}/#message-\d+$"))
    assert page.get_by_text("Message sent.").is_visible()
    assert thread(page) == ["Soap or solvent? I paint with gouache.",
                            "Also: how long do they dry?"]

    # The seller reads it on their page of the request and answers.
    seller_page = another_person(browser, live_server, seller)
    seller_page.goto(f"{live_server.url}/support/incoming/")
    seller_page.get_by_role("link", name="How do I clean the brushes?").click()
    assert thread(seller_page)[-1] == "Also: how long do they dry?"
    seller_page.get_by_label("Your message").fill("Mild soap, lukewarm water.\nA day to dry.")
    seller_page.get_by_role("button", name="Send message").click()
    seller_page.wait_for_url(re.compile(rf"/support/incoming/{support_request.pk}/#message-\d+$"))
    assert seller_page.get_by_text("Message sent.").is_visible()
    assert thread(seller_page)[-1] == "Mild soap, lukewarm water. A day to dry."
    # The browser sent the line break as CRLF; it is kept as one "\n".
    assert SupportMessage.objects.latest("pk").body == "Mild soap, lukewarm water.\nA day to dry."
    shoot(seller_page, "seller-page")

    # Each side was emailed the other's message with a link to their own page.
    [to_seller] = smtp_mailbox.wait_for("sam@example.com")
    assert "Also: how long do they dry?" in to_seller.part("plain")
    assert link_in(to_seller, live_server.url).endswith(
        f"/support/incoming/{support_request.pk}/")
    [to_buyer] = smtp_mailbox.wait_for("bea@example.com")
    assert "Mild soap, lukewarm water.\r\nA day to dry." in to_buyer.part("plain")  # SMTP's CRLF
    buyer_link = link_in(to_buyer, live_server.url)
    assert buyer_link.endswith(f"/support/{support_request.pk}/")

    # The buyer follows the link and sees the answer, the line break kept.
    page.goto(buyer_link)
    assert thread(page)[-1] == "Mild soap, lukewarm water. A day to dry."
    last = page.locator(".support-thread .support-message").last
    assert last.locator(".support-message-meta").inner_text().startswith("Sam Seller seller")
    assert last.locator(".support-message-body br").count() == 1
    shoot(page, "buyer-page")

    wait_until(lambda: not SupportMessage.objects.filter(emailed_at__isnull=True).exists(),
               what="both emails' claims to commit")
    assert len(smtp_mailbox.received) == 2  # one email per message
    assert page.console_errors == []
    assert seller_page.console_errors == []
    seller_page.context.close()
