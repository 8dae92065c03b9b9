"""Log in by email and where each role lands afterwards (seed §2); the stored email.

Registration: ``test_accounts_registration``; rate limits: ``test_accounts_rate_limits``.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client

from marketplace_core.roles import Role
from marketplace_core.testing.factories import DEFAULT_PASSWORD
from tests import fake_hook_plugin
from tests.account_support import logged_in_as
from tests.people import User, core_user_only

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and cooldowns live in the (process-local, in tests) cache."""
    cache.clear()
    yield
    cache.clear()

LOGIN = "/accounts/login/"
WRONG_CREDENTIALS = "The email address and password do not match an account."


def _login(client: Client, email: str, password: str = DEFAULT_PASSWORD, **extra: str):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


# ---------------------------------------------------------------------------
# logging in
# ---------------------------------------------------------------------------


@pytest.mark.by_database
@pytest.mark.parametrize(
    "typed", ["buyer@example.com", "BUYER@Example.com", "Buyer@EXAMPLE.COM", "  buyer@example.com "]
)
def test_login_by_email_ignores_case(client, make_user, typed):
    user = make_user(email="buyer@example.com")
    response = _login(client, typed)
    assert response.status_code == 302
    assert logged_in_as(client) == user.pk


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
    assert logged_in_as(client) is None


def test_inactive_user_is_told_the_account_is_disabled(client, make_user):
    make_user(email="gone@example.com", is_active=False)
    response = _login(client, "GONE@example.com")
    assert response.status_code == 200
    assert "This account is disabled" in response.content.decode()
    assert logged_in_as(client) is None


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
    assert logged_in_as(client) is None


# ---------------------------------------------------------------------------
# the stored email
# ---------------------------------------------------------------------------


@core_user_only
@pytest.mark.by_database
def test_emails_are_stored_lowercased():
    user = User.objects.create_user("Mixed.Case@Example.COM", "pw")
    assert user.email == "mixed.case@example.com"
    user.email = "Another@EXAMPLE.com"
    user.save()
    user.refresh_from_db()
    assert user.email == "another@example.com"


@core_user_only
@pytest.mark.by_database
def test_database_refuses_emails_differing_only_by_case():
    User.objects.create_user("twin@example.com", "pw")
    # bulk_create skips save(), so only the database constraint stands in the way.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="TWIN@example.com", name="Twin")])
    assert User.objects.filter(email__iexact="twin@example.com").count() == 1


@core_user_only
def test_manager_rejects_an_empty_email():
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", "pw")


def test_login_page_offers_a_password_reset(client):
    assert 'href="/accounts/password-reset/"' in client.get(LOGIN).content.decode()
