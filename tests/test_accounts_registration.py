"""Registration (seed §2): the same answer for new and taken addresses; the verification
email, or the "someone tried to register with your address" email to the owner."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from marketplace_core.catalog.visitors import PersonBump
from marketplace_core.people.users import find_by_email, users_with_email
from marketplace_core.roles import is_seller
from marketplace_core.testing.factories import DEFAULT_PASSWORD
from tests.account_mail import link_in, only_email_to
from tests.account_support import fresh_limits, logged_in_as
from tests.people import User, name_of, verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits")]
__all__ = ["fresh_limits"]

REGISTER = "/accounts/register/"
SENT = "/accounts/register/sent/"
NEW_PASSWORD = "a-long-unusual-passphrase-93"


def _register(client: Client, email: str, password: str = NEW_PASSWORD, **extra: str):
    return client.post(
        REGISTER,
        {"email": email, "name": "Ada Lovelace", "password1": password, "password2": password,
         **extra},
    )


def _without_csrf_tokens(html: str) -> str:
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "<token>", html)


def _register_and_send(client: Client, capture, email: str, **extra: str):
    with capture(execute=True):
        return _register(client, email, **extra)


def test_registration_creates_a_customer_and_asks_to_confirm_the_address(
    client, django_capture_on_commit_callbacks
):
    response = _register_and_send(client, django_capture_on_commit_callbacks,
                                  "New.Person@Example.COM")
    assert (response.status_code, response["Location"]) == (302, SENT)
    user = User._default_manager.get()
    assert user.email == "new.person@example.com"
    assert not is_seller(user)
    assert name_of(user) == "Ada Lovelace"
    assert user.is_active and not user.is_staff and not verified(user)
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_as(client) is None  # a taken address could not be logged in either

    page = client.get(SENT).content.decode()
    assert "Check your email" in page
    assert "We sent a message to <strong>new.person@example.com</strong>" in page
    # The account logs in with its password right away, with any casing.
    assert Client().post("/accounts/login/", {"username": "NEW.PERSON@example.com",
                                              "password": NEW_PASSWORD}).status_code == 302


def test_the_link_in_the_registering_browser_verifies_and_logs_in(
    client, django_capture_on_commit_callbacks
):
    _register_and_send(client, django_capture_on_commit_callbacks, "fresh@example.com")
    message = only_email_to("fresh@example.com")
    assert message.subject == "Confirm your email address for Marketplace"
    response = client.get(link_in(message))
    assert (response.status_code, response["Location"]) == (302, "/account/products/")
    user = find_by_email("fresh@example.com")
    assert verified(user)
    assert logged_in_as(client) == user.pk
    page = client.get("/account/products/").content.decode()
    assert "Thank you: fresh@example.com is verified." in page
    assert "Please confirm your email address" not in page


def test_the_link_elsewhere_only_verifies(client, django_capture_on_commit_callbacks):
    """A forwarded or leaked link proves the address, not who holds the browser."""
    _register_and_send(client, django_capture_on_commit_callbacks, "fresh@example.com")
    elsewhere = Client()
    response = elsewhere.get(link_in(only_email_to("fresh@example.com")))
    assert response.status_code == 302
    assert verified(find_by_email("fresh@example.com"))
    assert logged_in_as(elsewhere) is None
    assert elsewhere.get(response["Location"])["Location"].startswith("/accounts/login/")


@pytest.mark.by_database
def test_registration_emails_nothing_before_the_transaction_commits(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _register(client, "fresh@example.com")
        assert mail.outbox == []
    # One email task (the page cache's bumps of the new person's cached parts apart:
    # a user model with its own name field saves the user again).
    assert len([c for c in callbacks if not isinstance(c, PersonBump)]) == 1
    assert [m.to for m in mail.outbox] == [["fresh@example.com"]]


@pytest.mark.by_database
@pytest.mark.parametrize("again", ["taken@example.com", "TAKEN@example.com", " Taken@Example.Com"])
def test_a_taken_address_gets_the_same_answer_as_a_new_one(
    make_user, django_capture_on_commit_callbacks, again
):
    owner = make_user(email="taken@example.com", name="Grace Hopper")
    new_client, taken_client = Client(), Client()
    new = _register_and_send(new_client, django_capture_on_commit_callbacks, "fresh@example.com")
    taken = _register_and_send(taken_client, django_capture_on_commit_callbacks, again)

    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert taken.content == new.content
    # The pages differ only by the address and the browser's own CSRF token.
    new_page = _without_csrf_tokens(new_client.get(SENT).content.decode())
    taken_page = _without_csrf_tokens(taken_client.get(SENT).content.decode())
    assert taken_page == new_page.replace("fresh@example.com", "taken@example.com")
    # Nothing changed about the existing account, and nobody is logged in.
    assert users_with_email("taken@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD) and name_of(owner) == "Grace Hopper"
    assert logged_in_as(taken_client) is None


def test_the_owner_of_a_taken_address_is_told_someone_tried_to_register(
    client, make_user, django_capture_on_commit_callbacks
):
    make_user(email="taken@example.com", name="Grace Hopper")
    _register_and_send(client, django_capture_on_commit_callbacks, "Taken@Example.com")
    message = only_email_to("taken@example.com")
    assert message.subject == "Someone tried to register with your address at Marketplace"
    body = message.body
    assert body.startswith("Hello Grace,")
    assert ("Someone (maybe you) tried to create a new Marketplace account with "
            "taken@example.com. That address already has an account, so no new account was "
            "made and nothing about yours has changed.") in body
    assert "If it was you, log in here:\n\nhttp://testserver/accounts/login/\n" in body
    assert "Ask for a reset link here:\n\nhttp://testserver/accounts/password-reset/\n" in body
    assert "If it was not you, ignore this email." in body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://testserver/accounts/login/"' in html
    assert 'href="http://testserver/accounts/password-reset/"' in html
    assert "Someone tried to register with your address" in html
    # No verification link goes out for someone else's attempt.
    assert "/accounts/verify-email/" not in body + html


def test_attempts_on_a_taken_address_email_its_owner_once_per_cooldown(
    make_user, django_capture_on_commit_callbacks
):
    make_user(email="taken@example.com")
    for _ in range(3):
        response = _register_and_send(Client(), django_capture_on_commit_callbacks,
                                      "taken@example.com")
        assert response["Location"] == SENT
    only_email_to("taken@example.com")


def test_a_disabled_account_gets_no_email(make_user, django_capture_on_commit_callbacks):
    make_user(email="gone@example.com", is_active=False)
    response = _register_and_send(Client(), django_capture_on_commit_callbacks,
                                  "gone@example.com")
    assert response["Location"] == SENT
    assert mail.outbox == []


@pytest.mark.by_database
def test_registration_sees_a_legacy_mixed_case_email(django_capture_on_commit_callbacks):
    """A row stored before emails were lowercased still counts as taken (no 500)."""
    legacy = "Legacy@Example.com"
    User._default_manager.bulk_create([
        User(**{User.USERNAME_FIELD: legacy, User.get_email_field_name(): legacy})])
    response = _register_and_send(Client(), django_capture_on_commit_callbacks,
                                  "legacy@example.com")
    assert response["Location"] == SENT
    assert User._default_manager.count() == 1
    assert [m.subject for m in mail.outbox] == [
        "Someone tried to register with your address at Marketplace"
    ]


class CountingHasher(MD5PasswordHasher):
    """A real (fast) hasher that counts the passwords it hashes."""

    algorithm = "counting_md5"
    hashed: list[str] = []

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.hashed.append(password)
        return super().encode(password, salt)


def test_new_and_taken_addresses_both_cost_a_password_hash(make_user, settings):
    """The slow part of registering happens either way, so timing tells nothing."""
    make_user(email="taken@example.com")
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.hashed.clear()
    _register(Client(), "fresh@example.com")
    _register(Client(), "taken@example.com")
    assert CountingHasher.hashed == [NEW_PASSWORD, NEW_PASSWORD]


def test_registration_runs_django_password_validators(client, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
         "OPTIONS": {"min_length": 12}},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    ]
    page = client.get(REGISTER).content.decode()
    assert "at least 12 characters" in page  # the help text follows the setting

    cases = {
        "short1": "at least 12 characters",
        "password1234": "too common",
        "314159265358979": "entirely numeric",
        "ada.lovelace@example.com": "too similar",
    }
    for password, message in cases.items():
        response = _register(client, "ada.lovelace@example.com", password)
        assert response.status_code == 200, password
        errors = " ".join(response.context["form"].errors["password1"])
        assert message in errors, (password, errors)
    assert not User._default_manager.exists()
    assert _register(client, "ada.lovelace@example.com").status_code == 302


def test_registration_rejects_mismatched_passwords(client):
    response = client.post(
        REGISTER,
        {"email": "x@example.com", "name": "X", "password1": NEW_PASSWORD, "password2": "other"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    assert not User._default_manager.exists()


def test_registration_honours_only_a_safe_next(django_capture_on_commit_callbacks):
    for email, next_url, lands in [("first@example.com", "/products/", "/products/"),
                                   ("second@example.com", "https://evil.example/",
                                    "/account/products/")]:
        client = Client()
        _register_and_send(client, django_capture_on_commit_callbacks, email, next=next_url)
        assert client.get(link_in(only_email_to(email)))["Location"] == lands


def test_registration_page_keeps_a_safe_next(client):
    html = client.get(REGISTER, {"next": "/products/"}).content.decode()
    assert '<input type="hidden" name="next" value="/products/">' in html
    assert "evil.example" not in client.get(REGISTER, {"next": "//evil.example"}).content.decode()


def test_logged_in_user_is_not_offered_a_second_account(client, make_user):
    client.force_login(make_user())
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert response["Location"] == "/account/products/"


def test_registration_works_with_a_custom_backend_list(client, settings,
                                                       django_capture_on_commit_callbacks):
    """The session names a configured backend, so the verified user stays logged in."""
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    _register_and_send(client, django_capture_on_commit_callbacks, "custom@example.com")
    client.get(link_in(only_email_to("custom@example.com")))
    assert client.get("/account/products/").status_code == 200
