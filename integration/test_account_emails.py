"""Account emails through every real part: the web request enqueues on commit to
Redis, a Celery worker renders and sends the email to a real SMTP server, and the
link taken from the received email completes the flow."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from integration import mailbox
from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import find_by_email, users_with_email
from marketplace_core.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox
mail_worker = mailbox.mail_worker

BASE = "http://testserver"
NEW_PASSWORD = "marmalade-compass-4471"


def wait_for_results(worker, task: str, count: int, timeout: float = 30) -> list[str]:
    """The return values the worker logged for ``count`` runs of ``task``."""
    pattern = re.compile(rf"{task}\[[^\]]+\] succeeded in [\d.]+s: (\w+)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        results = pattern.findall(worker.output())
        if len(results) >= count:
            return results
        time.sleep(0.1)
    raise AssertionError(f"{count} results of {task} expected:\n{worker.output()}")


def path_of(link: str) -> str:
    assert link.startswith(BASE + "/"), link
    return link.removeprefix(BASE)


def test_registration_email_is_sent_by_the_worker_and_verifies(mail_worker, smtp_mailbox):
    client = Client()
    response = client.post("/accounts/register/", {
        "email": "ada@example.com", "name": "Ada Lovelace",
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    assert (response.status_code, response["Location"]) == (302, "/accounts/register/sent/")
    (received,) = smtp_mailbox.wait_for("ada@example.com")
    assert received.subject == "Confirm your email address for Marketplace"
    assert "noreply@localhost" in received.sender
    assert "expires in 24 hours" in received.part("plain")
    assert "<h1" in received.part("html")

    response = client.get(path_of(received.link(BASE)))
    assert response.status_code == 302
    assert response["Location"] == "/account/products/"
    assert is_email_verified(find_by_email("ada@example.com"))
    # The same link a second time: used.
    again = client.get(path_of(received.link(BASE)))
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_registering_a_taken_address_emails_its_owner_through_the_worker(
    mail_worker, smtp_mailbox, make_user
):
    make_user(email="grace@example.com", name="Grace Hopper")
    response = Client().post("/accounts/register/", {
        "email": "Grace@Example.com", "name": "Mallory",
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    assert (response.status_code, response["Location"]) == (302, "/accounts/register/sent/")
    (received,) = smtp_mailbox.wait_for("grace@example.com")
    assert received.subject == "Someone tried to register with your address at Marketplace"
    plain = received.part("plain")
    assert plain.startswith("Hello Grace,")
    assert f"{BASE}/accounts/login/" in plain
    assert f"{BASE}/accounts/password-reset/" in plain
    assert f'href="{BASE}/accounts/password-reset/"' in received.part("html")
    assert users_with_email("grace@example.com").count() == 1


def test_password_reset_email_is_sent_by_the_worker_and_resets(mail_worker, smtp_mailbox,
                                                               make_user):
    user = make_user(email="grace@example.com")
    other_device = Client()
    other_device.force_login(user)

    for address in ("nobody@example.com", "grace@example.com"):
        response = Client().post("/accounts/password-reset/", {"email": address})
        assert response["Location"] == "/accounts/password-reset/sent/"
    (received,) = smtp_mailbox.wait_for("grace@example.com")
    assert received.subject == "Reset your Marketplace password"
    assert [m.recipients for m in smtp_mailbox.received] == [("grace@example.com",)]
    # Both tasks ran; only the one for an existing account sent anything.
    outcomes = sorted(wait_for_results(mail_worker, "send_password_reset_email", 2))
    assert outcomes == ["False", "True"]

    client = Client()
    form = client.get(path_of(received.link(BASE)), follow=True)
    set_password_url = form.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(DEFAULT_PASSWORD)
    assert other_device.get("/account/products/").status_code == 302
    assert SESSION_KEY not in other_device.session
    # The link worked once.
    again = Client().get(path_of(received.link(BASE)), follow=True)
    assert "This reset link cannot be used" in again.content.decode()
