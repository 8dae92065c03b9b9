"""Log in by email (throttled), register, and where each role lands afterwards (seed §2)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client

from marketplace_core.accounts.models import Role, User
from marketplace_core.testing.factories import DEFAULT_PASSWORD
from tests import fake_hook_plugin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and cooldowns live in the (process-local, in tests) cache."""
    cache.clear()
    yield
    cache.clear()

LOGIN = "/accounts/login/"
REGISTER = "/accounts/register/"
WRONG_CREDENTIALS = "The email address and password do not match an account."
NEW_PASSWORD = "a-long-unusual-passphrase-93"


def _logged_in_as(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def _login(client: Client, email: str, password: str = DEFAULT_PASSWORD, **extra: str):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


# ---------------------------------------------------------------------------
# logging in
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["buyer@example.com", "BUYER@Example.com", "Buyer@EXAMPLE.COM", "  buyer@example.com "]
)
def test_login_by_email_ignores_case(client, make_user, typed):
    user = make_user(email="buyer@example.com")
    response = _login(client, typed)
    assert response.status_code == 302
    assert _logged_in_as(client) == user.pk


def test_login_page_asks_for_an_email(client):
    html = client.get(LOGIN).content.decode()
    assert "Email address" in html
    assert 'type="email"' in html


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    make_user(email="known@example.com")
    wrong_password = _login(client, "known@example.com", "not-the-password")
    unknown_email = _login(client, "nobody@example.com")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [WRONG_CREDENTIALS]
        assert WRONG_CREDENTIALS in response.content.decode()
    assert _logged_in_as(client) is None


def test_inactive_user_is_told_the_account_is_disabled(client, make_user):
    make_user(email="gone@example.com", is_active=False)
    response = _login(client, "GONE@example.com")
    assert response.status_code == 200
    assert "This account is disabled" in response.content.decode()
    assert _logged_in_as(client) is None


def test_inactive_user_with_wrong_password_learns_nothing(client, make_user):
    make_user(email="gone@example.com", is_active=False)
    response = _login(client, "gone@example.com", "guess")
    assert "disabled" not in response.content.decode()
    assert WRONG_CREDENTIALS in response.content.decode()


@pytest.mark.parametrize(
    ("role", "home"), [(Role.SELLER, "/seller/"), (Role.CUSTOMER, "/account/products/")]
)
def test_role_decides_where_login_lands(client, make_user, role, home):
    user = make_user(role=role)
    response = _login(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_home_after_login_comes_from_the_resolve_home_url_hook(client, make_user):
    hooked = make_user(email="hooked@example.com", role=Role.SELLER)
    plain = make_user(email="plain-seller@example.com", role=Role.SELLER)
    with fake_hook_plugin.installed_fake_plugin():
        assert _login(client, hooked.email)["Location"] == fake_hook_plugin.HOOKED_HOME
        other = Client()
        # The plugin abstains for other users: core's default answers.
        assert _login(other, plain.email)["Location"] == "/seller/"


@pytest.mark.parametrize("target", ["/products/?page=2", "/account/products/"])
def test_same_site_next_is_honoured(client, make_user, target):
    user = make_user(role=Role.SELLER)
    response = client.post(
        f"{LOGIN}?next={target}", {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == target
    # ...also when it comes from the hidden form field.
    client.logout()
    assert _login(client, user.email, next=target)["Location"] == target


def test_next_from_the_query_is_kept_in_the_form(client):
    html = client.get(f"{LOGIN}?next=/products/").content.decode()
    assert '<input type="hidden" name="next" value="/products/">' in html


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example",
        "//evil.example/account/products/",
        "http://evil.example/",
        "https:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_offsite_next_is_ignored(client, make_user, evil):
    user = make_user()
    response = client.post(
        f"{LOGIN}?next={evil}", {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/products/"
    client.logout()
    assert _login(client, user.email, next=evil)["Location"] == "/account/products/"
    # And it is never echoed back into the login page.
    assert "evil.example" not in Client().get(LOGIN, {"next": evil}).content.decode()


def test_logged_in_user_visiting_login_goes_home(client, make_user):
    client.force_login(make_user(role=Role.SELLER))
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == "/seller/"


def test_logout_ends_the_session(client, make_user):
    client.force_login(make_user())
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert _logged_in_as(client) is None


# ---------------------------------------------------------------------------
# registering
# ---------------------------------------------------------------------------


def _register(client: Client, email: str, password: str = NEW_PASSWORD, **extra: str):
    return client.post(
        REGISTER,
        {"email": email, "name": "Ada Lovelace", "password1": password, "password2": password,
         **extra},
    )


def test_registration_creates_a_customer_and_logs_in(client):
    response = _register(client, "New.Person@Example.COM")
    assert response.status_code == 302
    assert response["Location"] == "/account/products/"
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert user.role == Role.CUSTOMER
    assert user.name == "Ada Lovelace"
    assert user.is_active and not user.is_staff
    assert user.check_password(NEW_PASSWORD)
    assert _logged_in_as(client) == user.pk
    assert client.get("/account/products/").status_code == 200
    # ...and the new account logs in again with any casing.
    other = Client()
    assert _login(other, "NEW.PERSON@example.com", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("again", ["taken@example.com", "TAKEN@example.com", " Taken@Example.Com"])
def test_registration_rejects_a_duplicate_email(client, make_user, again):
    make_user(email="taken@example.com")
    response = _register(client, again)
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]
    assert User.objects.count() == 1
    assert _logged_in_as(client) is None


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
    assert not User.objects.exists()
    assert _register(client, "ada.lovelace@example.com").status_code == 302


def test_registration_rejects_mismatched_passwords(client):
    response = client.post(
        REGISTER,
        {"email": "x@example.com", "name": "X", "password1": NEW_PASSWORD, "password2": "other"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    assert not User.objects.exists()


def test_registration_honours_only_a_safe_next(client):
    response = _register(client, "first@example.com", next="/products/")
    assert response["Location"] == "/products/"
    other = Client()
    response = _register(other, "second@example.com", next="https://evil.example/")
    assert response["Location"] == "/account/products/"


def test_registration_page_keeps_a_safe_next(client):
    html = client.get(REGISTER, {"next": "/products/"}).content.decode()
    assert '<input type="hidden" name="next" value="/products/">' in html
    assert "evil.example" not in client.get(REGISTER, {"next": "//evil.example"}).content.decode()


def test_logged_in_user_is_not_offered_a_second_account(client, make_user):
    client.force_login(make_user())
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert response["Location"] == "/account/products/"


def test_registration_works_with_a_custom_backend_list(client, settings):
    """The session names a configured backend, so the new user stays logged in."""
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    assert _register(client, "custom@example.com").status_code == 302
    assert client.get("/account/products/").status_code == 200


# ---------------------------------------------------------------------------
# the stored email
# ---------------------------------------------------------------------------


def test_emails_are_stored_lowercased():
    user = User.objects.create_user("Mixed.Case@Example.COM", "pw")
    assert user.email == "mixed.case@example.com"
    user.email = "Another@EXAMPLE.com"
    user.save()
    user.refresh_from_db()
    assert user.email == "another@example.com"


def test_database_refuses_emails_differing_only_by_case():
    User.objects.create_user("twin@example.com", "pw")
    # bulk_create skips save(), so only the database constraint stands in the way.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="TWIN@example.com", name="Twin")])
    assert User.objects.filter(email__iexact="twin@example.com").count() == 1


def test_manager_rejects_an_empty_email():
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", "pw")


def test_registration_sees_a_legacy_mixed_case_email(client):
    """A row stored before emails were lowercased still blocks its address (no 500)."""
    User.objects.bulk_create([User(email="Legacy@Example.com", name="Old")])
    response = _register(client, "legacy@example.com")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


# ---------------------------------------------------------------------------
# throttling
# ---------------------------------------------------------------------------

LOCKED = (
    "Too many failed attempts to log in to this account from your network. "
    "Try again in 15 minutes, or reset your password."
)
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def _attempt(email: str, password: str, address: str, client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": email, "password": password})
    errors = response.context["form"].non_field_errors() if response.status_code != 302 else []
    return response.status_code, list(errors), _logged_in_as(client)


def _fail(email: str, address: str, times: int) -> list[tuple[int, list[str], int | None]]:
    return [_attempt(email, "wrong-guess", address) for _ in range(times)]


def test_five_failures_lock_the_account_for_that_address(make_user):
    user = make_user(email="target@example.com")
    assert _fail(user.email, ATTACKER, 5) == [(200, [WRONG_CREDENTIALS], None)] * 5
    # Even the right password is refused now, with a clear message and HTTP 429.
    status, errors, logged_in = _attempt(user.email, DEFAULT_PASSWORD, ATTACKER)
    assert (status, errors, logged_in) == (429, [LOCKED], None)
    page = Client(REMOTE_ADDR=ATTACKER).post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD}
    ).content.decode()
    assert LOCKED in page


def test_the_owner_elsewhere_is_not_locked_out(make_user):
    user = make_user(email="target@example.com")
    _fail(user.email, ATTACKER, 12)
    status, _, logged_in = _attempt(user.email, DEFAULT_PASSWORD, OWNER)
    assert (status, logged_in) == (302, user.pk)


def test_other_accounts_from_the_locked_address_are_not_affected(make_user):
    target, neighbour = make_user(email="target@example.com"), make_user(email="n@example.com")
    _fail(target.email, ATTACKER, 5)
    assert _attempt(neighbour.email, DEFAULT_PASSWORD, ATTACKER)[2] == neighbour.pk


def test_unknown_and_known_emails_get_the_same_answers(make_user):
    make_user(email="known@example.com")
    known = _fail("known@example.com", ATTACKER, 7)
    unknown = _fail("unknown@example.com", ATTACKER, 7)
    assert known == unknown
    assert known[-1] == (429, [LOCKED], None)


def test_case_and_spaces_do_not_escape_the_count(make_user):
    user = make_user(email="target@example.com")
    for typed in ["target@example.com", "TARGET@example.com", " Target@Example.com ",
                  "target@EXAMPLE.COM", "tArget@example.com"]:
        _attempt(typed, "wrong-guess", ATTACKER)
    assert _attempt(user.email, DEFAULT_PASSWORD, ATTACKER)[0] == 429


def test_a_successful_login_clears_the_failures(make_user):
    user = make_user(email="target@example.com")
    _fail(user.email, OWNER, 4)
    assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 302
    assert _fail(user.email, OWNER, 4)[-1][0] == 200
    assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 302


def test_the_lock_ends_after_the_lockout(make_user):
    user = make_user(email="target@example.com")
    _fail(user.email, OWNER, 5)
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now + dt.timedelta(minutes=14), tick=False):
        assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 429
    with time_machine.travel(now + dt.timedelta(minutes=15, seconds=5), tick=False):
        assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 302


def test_failures_count_within_fifteen_minutes_only(make_user):
    user = make_user(email="target@example.com")
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False):
        _fail(user.email, OWNER, 4)
    with time_machine.travel(now + dt.timedelta(minutes=16), tick=False):
        _fail(user.email, OWNER, 4)
        assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 302


def test_the_message_says_how_long_to_wait(make_user, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "LOGIN_LOCKOUT": 120,
                            "LOGIN_FAILURE_LIMIT": 2}
    user = make_user(email="target@example.com")
    _fail(user.email, OWNER, 2)
    _, errors, _ = _attempt(user.email, DEFAULT_PASSWORD, OWNER)
    assert errors == [LOCKED.replace("15 minutes", "2 minutes")]


def test_behind_trusted_proxies_each_client_has_its_own_count(make_user, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "TRUSTED_PROXY_COUNT": 1}
    user = make_user(email="target@example.com")
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=OWNER)
    for _ in range(6):
        status, _, _ = _attempt(user.email, "wrong-guess", proxy, client=attacker)
    assert status == 429
    assert _attempt(user.email, DEFAULT_PASSWORD, proxy, client=owner)[2] == user.pk


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(make_user):
    user = make_user(email="target@example.com")
    results = [
        _attempt(user.email, "wrong-guess", ATTACKER,
                 client=Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"))
        for i in range(6)
    ]
    assert results[-1][0] == 429


# ---------------------------------------------------------------------------
# registration sends a verification email
# ---------------------------------------------------------------------------


def test_registration_emails_a_verification_link_after_commit(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _register(client, "fresh@example.com")
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert response.status_code == 302
    user = User.objects.get(email="fresh@example.com")
    assert not user.email_verified
    (message,) = mail.outbox
    assert message.to == ["fresh@example.com"]
    assert message.subject == "Confirm your email address for Marketplace"
    link = re.search(r"http://testserver(/accounts/verify-email/[^/\s]+/)", message.body)
    assert link is not None, message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver{link.group(1)}"' in html

    page = client.get("/account/products/").content.decode()
    assert "Welcome! We sent a link to fresh@example.com" in page
    assert "Please confirm your email address" in page

    client.get(link.group(1))
    user.refresh_from_db()
    assert user.email_verified
    assert "Please confirm your email address" not in client.get("/").content.decode()


def test_login_page_offers_a_password_reset(client):
    assert 'href="/accounts/password-reset/"' in client.get(LOGIN).content.decode()
