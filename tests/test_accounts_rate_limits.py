"""Rate limits on logins, registrations, reset and verification requests: per
(email, client address) and per address across accounts; HTTP 429 with ``Retry-After``.

The clock stands still in each test (windows are fixed, so a moving clock could
cross a window's end between two attempts); tests that need time to pass travel.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import mail
from django.test import Client

from marketplace_core.people.users import users_with_email
from marketplace_core.testing.factories import DEFAULT_PASSWORD, logged_in
from tests.account_support import fresh_limits, logged_in_as

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits", "still_clock")]
__all__ = ["fresh_limits"]

LOGIN = "/accounts/login/"
WRONG_CREDENTIALS = "The email address and password do not match an account."
LOCKED = (
    "Too many failed attempts to log in to this account from your network. "
    "Try again in {minutes} minutes, or reset your password."
)
ADDRESS_LOCKED = (
    "Too many failed attempts to log in from your network. Try again in {minutes} minutes."
)
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
NEW_PASSWORD = "a-long-unusual-passphrase-93"


def _attempt(email: str, password: str, address: str, client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": email, "password": password})
    errors = response.context["form"].non_field_errors() if response.status_code != 302 else []
    return response.status_code, list(errors), logged_in_as(client)


def _fail(email: str, address: str, times: int) -> list[tuple[int, list[str], int | None]]:
    return [_attempt(email, "wrong-guess", address) for _ in range(times)]


def _minutes(response) -> int:
    return -(-int(response["Retry-After"]) // 60)


# ---------------------------------------------------------------------------
# failed logins for one account from one address
# ---------------------------------------------------------------------------


def test_five_failures_lock_the_account_for_that_address(make_user):
    user = make_user(email="target@example.com")
    assert _fail(user.email, ATTACKER, 5) == [(200, [WRONG_CREDENTIALS], None)] * 5
    # Even the right password is refused now: HTTP 429, Retry-After and a clear message.
    response = Client(REMOTE_ADDR=ATTACKER).post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 15 * 60
    message = LOCKED.format(minutes=_minutes(response))
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert "<form" in response.content.decode()  # the login page, not a bare error


def test_the_lock_ends_when_retry_after_says(make_user, still_clock):
    user = make_user(email="target@example.com")
    _fail(user.email, OWNER, 5)
    response = Client(REMOTE_ADDR=OWNER).post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD})
    retry_after = int(response["Retry-After"])
    still_clock.shift(retry_after - 1)
    assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 429
    still_clock.shift(2)
    assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[2] == user.pk


def test_the_owner_elsewhere_is_not_locked_out(make_user):
    user = make_user(email="target@example.com")
    _fail(user.email, ATTACKER, 12)
    status, _, logged_in_as = _attempt(user.email, DEFAULT_PASSWORD, OWNER)
    assert (status, logged_in_as) == (302, user.pk)


def test_other_accounts_from_the_locked_address_are_not_affected(make_user):
    target, neighbour = make_user(email="target@example.com"), make_user(email="n@example.com")
    _fail(target.email, ATTACKER, 5)
    assert _attempt(neighbour.email, DEFAULT_PASSWORD, ATTACKER)[2] == neighbour.pk


def test_unknown_and_known_emails_get_the_same_answers(make_user):
    make_user(email="known@example.com")
    known = _fail("known@example.com", ATTACKER, 7)
    unknown = _fail("unknown@example.com", ATTACKER, 7)
    assert [(status, logged) for status, _, logged in known] == [
        (status, logged) for status, _, logged in unknown]
    assert [status for status, _, _ in known] == [200] * 5 + [429] * 2
    assert known[:5] == unknown[:5] == [(200, [WRONG_CREDENTIALS], None)] * 5
    for (_, known_errors, _), (_, unknown_errors, _) in zip(known[5:], unknown[5:], strict=True):
        assert [e.split(" Try again")[0] for e in known_errors] == [
            e.split(" Try again")[0] for e in unknown_errors]


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


def test_failures_count_within_fifteen_minutes_only(make_user, still_clock):
    user = make_user(email="target@example.com")
    _fail(user.email, OWNER, 4)
    still_clock.shift(dt.timedelta(minutes=16))
    _fail(user.email, OWNER, 4)
    assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[0] == 302


def test_the_settings_decide_the_limit_and_window(make_user, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "LOGIN_FAILURE_WINDOW": 120,
                            "LOGIN_FAILURE_LIMIT": 2}
    user = make_user(email="target@example.com")
    _fail(user.email, OWNER, 2)
    response = Client(REMOTE_ADDR=OWNER).post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 120
    assert response.context["form"].non_field_errors() == [
        LOCKED.format(minutes=_minutes(response))]


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


def test_behind_trusted_proxies_forged_entries_do_not_escape_the_count(make_user, settings):
    """A client's own X-Forwarded-For entries stand left of what the proxy appended."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "TRUSTED_PROXY_COUNT": 1}
    user = make_user(email="target@example.com")
    results = [
        _attempt(user.email, "wrong-guess", "10.0.0.2", client=Client(
            REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, {ATTACKER}"))
        for i in range(6)
    ]
    assert results[-1][0] == 429


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(make_user):
    user = make_user(email="target@example.com")
    results = [
        _attempt(user.email, "wrong-guess", ATTACKER,
                 client=Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"))
        for i in range(6)
    ]
    assert results[-1][0] == 429


# ---------------------------------------------------------------------------
# per client address, across accounts
# ---------------------------------------------------------------------------


def test_failed_logins_for_many_accounts_from_one_address_are_refused(make_user):
    """30 wrong passwords for 30 different emails from one address: the limit (20 per
    15 minutes) refuses the rest, even a right password, with 429 and Retry-After."""
    victim = make_user(email="victim@example.com")
    results = [_attempt(f"user{i}@example.com", "wrong-guess", ATTACKER) for i in range(30)]
    assert [status for status, _, _ in results] == [200] * 20 + [429] * 10
    response = Client(REMOTE_ADDR=ATTACKER).post(
        LOGIN, {"username": victim.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    assert response.context["form"].non_field_errors() == [
        ADDRESS_LOCKED.format(minutes=_minutes(response))]
    # Another address is not affected.
    assert _attempt(victim.email, DEFAULT_PASSWORD, OWNER)[2] == victim.pk


def test_the_address_limit_is_a_setting(make_user, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"login_failures": "3/h"}}
    user = make_user(email="target@example.com")
    for i in range(3):
        _attempt(f"user{i}@example.com", "wrong-guess", ATTACKER)
    assert _attempt(user.email, DEFAULT_PASSWORD, ATTACKER)[0] == 429


def test_ipv6_clients_are_counted_by_their_network(make_user, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"login_failures": "3/h"}}
    user = make_user(email="target@example.com")
    for i in range(3):  # three addresses of one /64
        _attempt(f"user{i}@example.com", "wrong-guess", f"2001:db8:1:2::{i + 1}")
    assert _attempt(user.email, DEFAULT_PASSWORD, "2001:db8:1:2:ffff::9")[0] == 429
    assert _attempt(user.email, DEFAULT_PASSWORD, "2001:db8:1:3::1")[2] == user.pk


def _register(address: str, email: str):
    return Client(REMOTE_ADDR=address).post("/accounts/register/", {
        "email": email, "name": "Ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })


def test_registrations_are_limited_per_address(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [_register(ATTACKER, f"new{i}@example.com") for i in range(11)]
    assert [r.status_code for r in answers] == [302] * 10 + [429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    page = refused.content.decode()
    assert ("Too many registrations from your network. "
            f"Try again in {_minutes(refused)} minutes.") in page
    assert "<form" in page
    assert not users_with_email("new10@example.com").exists()
    assert len(mail.outbox) == 10
    assert _register(OWNER, "owner@example.com").status_code == 302


def test_reset_requests_are_limited_per_address(make_user, django_capture_on_commit_callbacks):
    make_user(email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [Client(REMOTE_ADDR=ATTACKER).post("/accounts/password-reset/",
                                                     {"email": f"someone{i}@example.com"})
                   for i in range(10)]
        refused = Client(REMOTE_ADDR=ATTACKER).post("/accounts/password-reset/",
                                                    {"email": "grace@example.com"})
    assert [r.status_code for r in answers] == [302] * 10
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert ("Too many reset links were asked for from your network. "
            f"Try again in {_minutes(refused)} minutes.") in refused.content.decode()
    assert mail.outbox == []  # none of the ten has an account; grace's request was refused
    with django_capture_on_commit_callbacks(execute=True):
        ok = Client(REMOTE_ADDR=OWNER).post("/accounts/password-reset/",
                                            {"email": "grace@example.com"})
    assert ok.status_code == 302
    assert [m.to for m in mail.outbox] == [["grace@example.com"]]


def test_verification_emails_are_limited_per_address(make_user,
                                                     django_capture_on_commit_callbacks):
    users = [make_user(email=f"u{i}@example.com", email_verified=False) for i in range(11)]
    with django_capture_on_commit_callbacks(execute=True):
        answers = []
        for user in users:
            client = logged_in(user)
            client.defaults["REMOTE_ADDR"] = ATTACKER
            answers.append(client.post("/accounts/verify-email/"))
    assert [r.status_code for r in answers] == [302] * 10 + [429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert ("Too many emails were asked for from your network. "
            f"Try again in {_minutes(refused)} minutes.") in refused.content.decode()
    assert len(mail.outbox) == 10


# ---------------------------------------------------------------------------
# when the shared cache is unreachable
# ---------------------------------------------------------------------------


def test_an_unreachable_cache_still_limits_and_warns_once(make_user, settings, caplog):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }}
    user = make_user(email="target@example.com")
    with caplog.at_level(logging.WARNING, logger="marketplace_core.accounts"):
        results = _fail(user.email, ATTACKER, 5)
        assert [status for status, _, _ in results] == [200] * 5
        status, _, logged_in_as = _attempt(user.email, DEFAULT_PASSWORD, ATTACKER)
        assert (status, logged_in_as) == (429, None)
        assert _attempt(user.email, DEFAULT_PASSWORD, OWNER)[2] == user.pk
    warnings = [r for r in caplog.records if r.name == "marketplace_core.accounts"]
    assert len(warnings) == 1
    assert "'default' cache cannot be reached" in warnings[0].getMessage()
    assert "count in this process only" in warnings[0].getMessage()


# ---------------------------------------------------------------------------
# Password change: wrong old passwords count against the account
# ---------------------------------------------------------------------------


def test_a_stolen_session_cannot_guess_the_old_password(make_user, settings, still_clock):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "LOGIN_FAILURE_WINDOW": 600,
                            "LOGIN_FAILURE_LIMIT": 3}
    user = make_user(email="owner@example.com")
    thief = logged_in(user)

    def change(old: str):
        return thief.post("/account/password/", {
            "old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert [change(f"guess-{i}").status_code for i in range(3)] == [200, 200, 200]
    refused = change(DEFAULT_PASSWORD)  # the right one, but too late
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 600
    assert refused.context["form"].non_field_errors() == [
        f"Too many wrong passwords. Try again in {_minutes(refused)} minutes."]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)  # unchanged
    assert logged_in_as(thief) == user.pk

    still_clock.shift(dt.timedelta(minutes=11))
    assert change(DEFAULT_PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
