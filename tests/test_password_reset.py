"""Password reset by email (seed §2 CustomPasswordResetView, PasswordResetConfirmView)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import Client

from marketplace_core.testing.factories import DEFAULT_PASSWORD
from tests.account_mail import link_in, only_email_to
from tests.people import verified

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"
NEW_PASSWORD = "tangerine-lighthouse-1907"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def ask(email: str, capture, client: Client | None = None):
    client = client or Client()
    with capture(execute=True):
        return client.post(RESET, {"email": email}, follow=True)


def set_new_password(client: Client, path: str, password: str = NEW_PASSWORD):
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_password_url = form.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")  # the token left the URL
    return client.post(set_password_url,
                       {"new_password1": password, "new_password2": password}, follow=True)


def without_csrf_tokens(html: bytes) -> str:
    """A page with its per-response CSRF tokens blanked, to compare two answers."""
    return re.sub(r'(name="csrf-token" content="|name="csrfmiddlewaretoken" value=")[^"]+', r"\1",
                  html.decode())


def can_log_in(email: str, password: str) -> bool:
    client = Client()
    client.post("/accounts/login/", {"username": email, "password": password})
    return SESSION_KEY in client.session


def test_known_and_unknown_addresses_get_the_same_answer(make_user,
                                                         django_capture_on_commit_callbacks):
    make_user(email="known@example.com")
    known = ask("known@example.com", django_capture_on_commit_callbacks)
    unknown = ask("unknown@example.com", django_capture_on_commit_callbacks)
    assert known.redirect_chain == unknown.redirect_chain == [(f"{RESET}sent/", 302)]
    assert without_csrf_tokens(known.content) == without_csrf_tokens(unknown.content)
    assert "If an account uses that address" in known.content.decode()
    assert [m.to for m in mail.outbox] == [["known@example.com"]]


def test_inactive_accounts_get_no_email(make_user, django_capture_on_commit_callbacks):
    make_user(email="gone@example.com", is_active=False)
    ask("gone@example.com", django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_the_emailed_link_sets_a_new_password(make_user, django_capture_on_commit_callbacks):
    user = make_user(email="forgetful@example.com", email_verified=False)
    ask("Forgetful@Example.com", django_capture_on_commit_callbacks)
    message = only_email_to("forgetful@example.com")
    assert message.subject == "Reset your Marketplace password"
    assert "expires in 60 minutes" in message.body
    path = link_in(message)

    client = Client()
    done = set_new_password(client, path)
    assert done.redirect_chain[-1][0] == "/accounts/login/"
    assert "Your password has been changed and every session of your account has ended." \
        in done.content.decode()
    assert can_log_in(user.email, NEW_PASSWORD)
    assert not can_log_in(user.email, DEFAULT_PASSWORD)
    assert verified(user)  # following the link proved the address


def test_the_link_works_once(make_user, django_capture_on_commit_callbacks):
    make_user(email="once@example.com")
    ask("once@example.com", django_capture_on_commit_callbacks)
    path = link_in(only_email_to("once@example.com"))
    set_new_password(Client(), path)
    again = Client().get(path, follow=True).content.decode()
    assert "This reset link cannot be used" in again
    assert f'href="{RESET}"' in again


def test_the_link_expires_within_an_hour(make_user, django_capture_on_commit_callbacks):
    make_user(email="late@example.com")
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False):
        ask("late@example.com", django_capture_on_commit_callbacks)
    path = link_in(only_email_to("late@example.com"))
    with time_machine.travel(now + dt.timedelta(minutes=59), tick=False):
        assert "Choose a new password" in Client().get(path, follow=True).content.decode()
    with time_machine.travel(now + dt.timedelta(minutes=61), tick=False):
        assert "This reset link cannot be used" in Client().get(
            path, follow=True).content.decode()
    assert can_log_in("late@example.com", DEFAULT_PASSWORD)


def test_a_tampered_link_is_refused(make_user, django_capture_on_commit_callbacks):
    make_user(email="tamper@example.com")
    ask("tamper@example.com", django_capture_on_commit_callbacks)
    path = link_in(only_email_to("tamper@example.com"))
    tampered = path[:-3] + ("a" if path[-3] != "a" else "b") + path[-2:]
    assert "This reset link cannot be used" in Client().get(
        tampered, follow=True).content.decode()


def test_the_new_password_ends_every_other_session(make_user,
                                                   django_capture_on_commit_callbacks):
    user = make_user(email="shared@example.com")
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    assert laptop.get("/account/products/").status_code == 200
    ask(user.email, django_capture_on_commit_callbacks)
    set_new_password(Client(), link_in(only_email_to(user.email)))
    for device in (laptop, phone):
        response = device.get("/account/products/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_new_password_is_validated(make_user, django_capture_on_commit_callbacks, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
         "OPTIONS": {"min_length": 12}},
    ]
    make_user(email="weak@example.com")
    ask("weak@example.com", django_capture_on_commit_callbacks)
    response = set_new_password(Client(), link_in(only_email_to("weak@example.com")), "short")
    assert "at least 12 characters" in response.content.decode()
    assert can_log_in("weak@example.com", DEFAULT_PASSWORD)


def test_repeated_requests_send_one_email_and_answer_the_same(
    make_user, django_capture_on_commit_callbacks
):
    make_user(email="spam@example.com")
    answers = {without_csrf_tokens(ask("spam@example.com", django_capture_on_commit_callbacks)
                                   .content) for _ in range(3)}
    assert len(answers) == 1
    assert len(mail.outbox) == 1


def test_a_reset_lifts_a_login_lock(make_user, django_capture_on_commit_callbacks):
    user = make_user(email="locked@example.com")
    address = "203.0.113.5"
    for _ in range(5):
        Client(REMOTE_ADDR=address).post("/accounts/login/",
                                         {"username": user.email, "password": "guess"})
    locked = Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    ask(user.email, django_capture_on_commit_callbacks)
    set_new_password(Client(), link_in(only_email_to(user.email)))
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/",
                           {"username": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert SESSION_KEY in client.session


def test_the_form_is_labelled_and_rejects_a_malformed_address(client):
    html = client.get(RESET).content.decode()
    assert '<label for="id_email">Email address</label>' in html
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
