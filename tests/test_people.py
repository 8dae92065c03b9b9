"""A person in the shop, whatever the user model: names, the address, core's login and
registration with a username-based model (tests/custom_user's Member)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from marketplace_core.people.names import display_name, short_name
from marketplace_core.people.records import account, set_shop_name
from marketplace_core.people.users import email_of, find_by_email
from marketplace_core.testing.factories import DEFAULT_PASSWORD, logged_in
from tests.account_support import fresh_limits, logged_in_as
from tests.people import CORE_USER, User, fresh

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits")]
__all__ = ["fresh_limits"]

member_only = pytest.mark.skipif(CORE_USER, reason="about a username-based user model")
NEW_PASSWORD = "a-long-unusual-passphrase-93"


def test_names_fall_back_from_the_shop_name(make_user):
    user = make_user(email="ada@example.com", name="Ada Lovelace")
    assert (display_name(fresh(user)), short_name(fresh(user))) == ("Ada Lovelace", "Ada")
    set_shop_name(user, "")
    assert display_name(fresh(user)) == "ada@example.com"  # no name: the address
    assert display_name(None) == "" and email_of(None) == ""


@member_only
def test_the_models_own_full_name_comes_after_the_shop_name(make_user):
    user = make_user(name="")
    user.first_name, user.last_name = "Grace", "Hopper"
    user.save()
    assert (display_name(fresh(user)), short_name(fresh(user))) == ("Grace Hopper", "Grace")
    set_shop_name(user, "Amazing Grace")
    assert display_name(fresh(user)) == "Amazing Grace"
    assert account(fresh(user)).display_name == "Amazing Grace"  # core's row, not the model


def test_a_user_without_an_address_is_not_asked_to_verify(make_user):
    user = make_user(email_verified=False)
    User._default_manager.filter(pk=user.pk).update(**{User.get_email_field_name(): ""})
    client = logged_in(user)
    assert "Please confirm your email address" not in client.get("/account/products/").text
    response = client.post("/accounts/verify-email/", follow=True)
    assert "Your account has no email address to verify." in response.text
    assert mail.outbox == []


@member_only
def test_registration_gives_a_username_model_the_address_as_username(
        client, make_user, django_capture_on_commit_callbacks):
    make_user(email="someone@example.com", username="new@example.com")  # the name is taken
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/register/", {"email": "New@Example.com", "name": "Nia",
                                            "password1": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD})
    user = find_by_email("new@example.com")
    assert user.username.startswith("user-") and user.email == "new@example.com"
    assert display_name(user) == "Nia"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/register/", {"email": "other@example.com", "name": "",
                                            "password1": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD})
    assert find_by_email("other@example.com").username == "other@example.com"


@member_only
def test_core_login_takes_the_address_or_the_username(make_user):
    user = make_user(email="kai@example.com", username="kai")
    for typed in ("KAI@example.com", "kai"):
        client = Client()
        response = client.post("/accounts/login/", {"username": typed,
                                                    "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, typed
        assert logged_in_as(client) == user.pk


@member_only
def test_an_address_two_accounts_share_logs_in_by_username_only(make_user):
    ann = make_user(email="shared@example.com", username="ann")
    make_user(email="shared@example.com", username="bob")
    client = Client()
    response = client.post("/accounts/login/", {"username": "shared@example.com",
                                                "password": DEFAULT_PASSWORD})
    assert response.status_code == 200 and logged_in_as(client) is None
    client.post("/accounts/login/", {"username": "ann", "password": DEFAULT_PASSWORD})
    assert logged_in_as(client) == ann.pk
