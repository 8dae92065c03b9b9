"""Email verification (seed §2 SendVerifyEmailView, VerifyEmailView)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client

from marketplace_core.accounts.tasks import send_verification_email
from marketplace_core.accounts.tokens import email_verification_tokens
from marketplace_core.people.records import mark_email_verified
from marketplace_core.roles import Role
from marketplace_core.testing.factories import logged_in
from tests.account_mail import link_in, only_email_to
from tests.people import User, verified

pytestmark = pytest.mark.django_db

SEND = "/accounts/verify-email/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unverified(make_user):
    return make_user(email="new@example.com", email_verified=False)


def ask_for_link(client: Client, capture) -> object:
    with capture(execute=True):
        return client.post(SEND, follow=True)


def test_asking_for_a_link_emails_one_that_verifies(unverified,
                                                    django_capture_on_commit_callbacks):
    client = logged_in(unverified)
    response = ask_for_link(client, django_capture_on_commit_callbacks)
    assert "We sent a new link to new@example.com." in response.content.decode()
    message = only_email_to("new@example.com")
    assert message.subject == "Confirm your email address for Marketplace"
    assert "expires in 24 hours" in message.body
    path = link_in(message)

    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/account/products/"
    assert verified(unverified)
    assert "Thank you: new@example.com is verified." in client.get(
        response["Location"]).content.decode()


def test_a_verified_seller_lands_on_the_seller_dashboard(make_user):
    seller = make_user(role=Role.SELLER, email_verified=False)
    token = email_verification_tokens.make(seller)
    response = logged_in(seller).get(f"{SEND}{token}/")
    assert response["Location"] == "/seller/"
    assert verified(seller)


def test_the_link_works_without_being_logged_in(unverified):
    token = email_verification_tokens.make(unverified)
    response = Client().get(f"{SEND}{token}/", follow=True)
    assert verified(unverified)
    # My products needs a login; the login page says the address is verified.
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/account/products/"
    assert "Thank you: new@example.com is verified." in response.content.decode()


def test_a_link_works_once(unverified):
    token = email_verification_tokens.make(unverified)
    client = logged_in(unverified)
    assert client.get(f"{SEND}{token}/").status_code == 302
    again = client.get(f"{SEND}{token}/")
    html = again.content.decode()
    assert again.status_code == 400
    assert 'data-reason="used"' in html
    assert "The link has already been used." in html


def test_a_tampered_link_is_refused_with_an_offer_of_a_new_one(unverified):
    token = email_verification_tokens.make(unverified)
    client = logged_in(unverified)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                token.replace(":", ":x", 1), "nonsense", "a" * 300):
        response = client.get(f"{SEND}{bad}/")
        html = response.content.decode()
        assert response.status_code == 400
        assert "The link is not valid." in html
        assert f'action="{SEND}"' in html
        assert "Send me a new verification email" in html
    assert not verified(unverified)


def test_a_link_for_another_signing_purpose_is_refused(unverified):
    from django.core import signing

    forged = signing.dumps({"u": unverified.pk, "s": "x"}, salt="some.other.purpose")
    assert Client().get(f"{SEND}{forged}/").status_code == 400
    assert not verified(unverified)


def test_a_link_expires_after_24_hours(unverified):
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False):
        token = email_verification_tokens.make(unverified)
    with time_machine.travel(now + dt.timedelta(hours=23, minutes=59), tick=False):
        assert email_verification_tokens.check(token).valid
    with time_machine.travel(now + dt.timedelta(hours=24, seconds=1), tick=False):
        response = Client().get(f"{SEND}{token}/")
    html = response.content.decode()
    assert response.status_code == 400
    assert "The link has expired: links are valid for 24 hours." in html
    assert "Log in to get a new verification email" in html
    assert not verified(unverified)


def test_a_link_for_an_address_since_changed_is_refused(unverified):
    token = email_verification_tokens.make(unverified)
    User._default_manager.filter(pk=unverified.pk).update(email="other@example.com")
    assert Client().get(f"{SEND}{token}/").status_code == 400
    assert not verified(unverified)


def test_no_email_for_a_verified_address(make_user, django_capture_on_commit_callbacks):
    user = make_user(email="done@example.com", email_verified=True)
    response = ask_for_link(logged_in(user), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert "Your email address is already verified." in response.content.decode()


def test_resends_are_rate_limited(unverified, django_capture_on_commit_callbacks):
    client = logged_in(unverified)
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False):
        ask_for_link(client, django_capture_on_commit_callbacks)
        response = ask_for_link(client, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert "ask for a new one in 5 minutes" in response.content.decode()
    with time_machine.travel(now + dt.timedelta(minutes=3), tick=False):
        response = ask_for_link(client, django_capture_on_commit_callbacks)
    assert "ask for a new one in 2 minutes" in response.content.decode()
    assert len(mail.outbox) == 1
    with time_machine.travel(now + dt.timedelta(minutes=5, seconds=1), tick=False):
        ask_for_link(client, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


def test_the_send_page_needs_a_login_and_shows_the_state(client, unverified, make_user):
    assert client.get(SEND)["Location"] == f"/accounts/login/?next={SEND}"
    html = logged_in(unverified).get(SEND).content.decode()
    assert "Send me a new link" in html
    html = logged_in(make_user(email_verified=True)).get(SEND).content.decode()
    assert "is verified. Nothing more to do." in html


def test_the_task_sends_nothing_to_a_verified_address(unverified):
    mark_email_verified(unverified)
    assert send_verification_email.apply(args=(unverified.pk, "https://shop.example")).get() \
        is False
    assert mail.outbox == []


def test_a_redelivered_task_does_not_send_twice(unverified):
    for _ in range(2):
        send_verification_email.apply(args=(unverified.pk, "https://shop.example"),
                                      task_id="same-delivery")
    assert len(mail.outbox) == 1
    send_verification_email.apply(args=(unverified.pk, "https://shop.example"))
    assert len(mail.outbox) == 2


def test_links_use_the_site_url_when_set(unverified, settings,
                                         django_capture_on_commit_callbacks):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example.com/"}
    ask_for_link(logged_in(unverified), django_capture_on_commit_callbacks)
    message = only_email_to(unverified.email)
    path = link_in(message, base="https://shop.example.com")
    assert path.startswith(SEND)
    assert "http://testserver" not in message.body
