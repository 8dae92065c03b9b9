"""Registration with email verification and password reset, end to end in a real
browser: the site, a Celery worker on Redis and a real SMTP server; links come
from the received emails."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from integration import mailbox
from integration.browser_checks import field, tab_to, unlabelled_inputs
from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import find_by_email
from marketplace_core.testing.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser,
              pytest.mark.usefixtures("fresh_cache")]
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox
mail_worker = mailbox.mail_worker

NEW_PASSWORD = "quartz-meadow-lantern-58"


def test_register_then_verify_with_the_emailed_link(page, live_server, mail_worker,
                                                    smtp_mailbox):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Register").click()
    assert unlabelled_inputs(page) == []
    field(page, "Email address").fill("Ada@Example.com")
    field(page, "Name").fill("Ada Lovelace")
    field(page, "Password").fill(NEW_PASSWORD)
    field(page, "Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Register").click()
    # The same page as for an address that has an account: nobody is logged in yet.
    page.wait_for_url(f"{live_server.url}/accounts/register/sent/")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("We sent a message to ada@example.com")).to_be_visible()

    (received,) = smtp_mailbox.wait_for("ada@example.com")
    link = received.link(live_server.url)
    assert "/accounts/verify-email/" in link
    page.goto(link)  # in the registering browser: verified and logged in
    page.wait_for_url(f"{live_server.url}/account/products/")
    expect(page.get_by_text("Thank you: ada@example.com is verified.")).to_be_visible()
    expect(page.get_by_text("Please confirm your email address")).to_have_count(0)
    assert is_email_verified(find_by_email("ada@example.com"))

    # The profile shows it; the address cannot be edited there.
    page.get_by_role("link", name="Ada").click()
    expect(page.get_by_test_id("email-status")).to_have_text("Verified")
    expect(page.get_by_label("Email address")).not_to_be_editable()
    assert unlabelled_inputs(page) == []
    assert page.console_errors == []


def test_password_reset_end_to_end(page, live_server, mail_worker, smtp_mailbox, make_user,
                                   browser):
    user = make_user(email="grace@example.com", name="Grace Hopper")
    # Another browser is logged in as Grace; the reset must end that session.
    other = browser.new_context()
    other_page = other.new_page()
    other_page.goto(f"{live_server.url}/accounts/login/")
    field(other_page, "Email address").fill(user.email)
    field(other_page, "Password").fill(DEFAULT_PASSWORD)
    other_page.get_by_role("button", name="Log in").click()
    other_page.wait_for_url(f"{live_server.url}/account/products/")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    assert unlabelled_inputs(page) == []
    field(page, "Email address").fill("grace@example.com")
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    (received,) = smtp_mailbox.wait_for("grace@example.com")
    page.goto(received.link(live_server.url))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert "/set-password/" in page.url  # the token is no longer in the address bar
    assert unlabelled_inputs(page) == []
    field(page, "New password").fill(NEW_PASSWORD)
    field(page, "New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text("Your password has been changed")).to_be_visible()

    # Log in with the keyboard alone.
    tab_to(page, "username")
    page.keyboard.type(user.email)
    tab_to(page, "password")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/account/products/")

    other_page.reload()
    assert re.search(r"/accounts/login/\?next=/account/products/$", other_page.url)
    other.close()

    page.goto(received.link(live_server.url))
    expect(page.get_by_role("heading", name="This reset link cannot be used")).to_be_visible()
    assert page.console_errors == []


def test_login_throttling_in_the_browser(page, live_server, make_user):
    user = make_user(email="target@example.com")
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        field(page, "Email address").fill(user.email)
        field(page, "Password").fill("wrong-guess")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("do not match an account")).to_be_visible()
    field(page, "Email address").fill(user.email)
    field(page, "Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Too many failed attempts")).to_be_visible()
    assert page.url.endswith("/accounts/login/")
