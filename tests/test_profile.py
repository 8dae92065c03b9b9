"""Profile and password change (seed §3-§5: the generic views and their wrappers)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from marketplace_core.roles import Role, role_of
from marketplace_core.testing.factories import DEFAULT_PASSWORD, logged_in
from tests.people import User, fresh, name_of

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet-harbour-lantern-62"
PANELS = {
    Role.CUSTOMER: ("/account/profile/", "/account/password/"),
    Role.SELLER: ("/seller/profile/", "/seller/password/"),
}


@pytest.fixture(params=[Role.CUSTOMER, Role.SELLER])
def person(request, make_user):
    return make_user(email=f"{request.param}@example.com", name="Ada Byron", role=request.param)


def test_profile_shows_the_name_and_a_read_only_email(person):
    profile, password = PANELS[role_of(person)]
    html = logged_in(person).get(profile).content.decode()
    assert '<label for="id_email_display">Email address</label>' in html
    assert f'<input id="id_email_display" type="email" value="{person.email}" readonly' in html
    assert 'name="name" value="Ada Byron"' in html
    assert 'name="email"' not in html
    assert f'href="{password}"' in html


def test_profile_updates_the_name(person):
    profile, _ = PANELS[role_of(person)]
    client = logged_in(person)
    response = client.post(profile, {"name": "Ada Lovelace"}, follow=True)
    assert response.redirect_chain == [(profile, 302)]
    assert "Your profile has been saved." in response.content.decode()
    assert name_of(person) == "Ada Lovelace"


def test_a_forged_post_cannot_change_the_email_or_role(person):
    profile, _ = PANELS[role_of(person)]
    original_email, original_role = person.email, role_of(person)
    logged_in(person).post(profile, {
        "name": "Mallory", "email": "attacker@example.com", "role": "seller",
        "email_verified": "on", "is_staff": "on",
    })
    now = fresh(person)
    assert name_of(now) == "Mallory"
    assert (now.email, role_of(now), now.is_staff) == (original_email, original_role, False)
    assert not User._default_manager.filter(email="attacker@example.com").exists()


def test_profile_shows_whether_the_email_is_verified(make_user):
    unverified = make_user(email_verified=False)
    html = logged_in(unverified).get("/account/profile/").content.decode()
    assert '<span class="badge warn" data-testid="email-status">Not verified</span>' in html
    assert 'href="/accounts/verify-email/"' in html
    html = logged_in(make_user()).get("/account/profile/").content.decode()
    assert '<span class="badge ok" data-testid="email-status">Verified</span>' in html


def test_header_links_to_the_role_profile(person):
    profile, _ = PANELS[role_of(person)]
    html = logged_in(person).get("/").content.decode()
    assert f'<a href="{profile}" data-nav="profile">Ada</a>' in html


@pytest.mark.parametrize("url", ["/seller/profile/", "/seller/password/"])
def test_customers_get_403_on_the_seller_wrappers(make_user, url):
    assert logged_in(make_user()).get(url).status_code == 403


def test_sellers_use_the_customer_wrappers_too(make_user):
    seller = make_user(role=Role.SELLER)
    assert logged_in(seller).get("/account/profile/").status_code == 200


@pytest.mark.parametrize("url", ["/account/profile/", "/account/password/",
                                 "/seller/profile/", "/seller/password/"])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def _change(client: Client, url: str, old: str, new: str = NEW_PASSWORD):
    return client.post(url, {"old_password": old, "new_password1": new, "new_password2": new},
                       follow=True)


def test_password_change_needs_the_old_password(person):
    _, url = PANELS[role_of(person)]
    client = logged_in(person)
    response = _change(client, url, old="not-my-password")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    person.refresh_from_db()
    assert person.check_password(DEFAULT_PASSWORD)
    assert SESSION_KEY in client.session


def test_password_change_logs_out_everywhere_with_a_message(person):
    _, url = PANELS[role_of(person)]
    this_device, other_device = logged_in(person), logged_in(person)
    response = _change(this_device, url, old=DEFAULT_PASSWORD)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    html = response.content.decode()
    assert "Your password has been changed and you have been logged out everywhere." in html
    assert "<h1>Log in</h1>" in html
    assert SESSION_KEY not in this_device.session
    other = other_device.get("/account/products/")
    assert other.status_code == 302
    assert other["Location"].startswith("/accounts/login/")
    fresh = Client()
    fresh.post("/accounts/login/", {"username": person.email, "password": NEW_PASSWORD})
    assert SESSION_KEY in fresh.session


def test_password_change_runs_the_password_validators(make_user, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
    user = make_user()
    response = _change(logged_in(user), "/account/password/", old=DEFAULT_PASSWORD,
                       new="8675309123")
    assert "entirely numeric" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_form_is_labelled(make_user):
    html = logged_in(make_user()).get("/account/password/").content.decode()
    for field in ("old_password", "new_password1", "new_password2"):
        assert f'<label for="id_{field}">' in html
