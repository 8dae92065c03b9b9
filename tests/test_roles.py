"""Seller status for any user model: the service call, the admin, the command
(marketplace_core.roles), and what a page pays to know it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace_core.catalog.visitors import bump_person
from marketplace_core.people.models import SellerProfile
from marketplace_core.roles import is_seller, make_seller, revoke_seller
from marketplace_core.testing.contracts import send_together
from marketplace_core.testing.factories import logged_in
from tests.people import CORE_USER, User, core_user_only, fresh

pytestmark = pytest.mark.django_db


def test_an_existing_user_becomes_a_seller_with_one_call(make_user, make_product):
    user = make_user()
    client = logged_in(user)
    assert client.get("/seller/").status_code == 403
    make_seller(user)
    assert is_seller(fresh(user))
    assert client.get("/seller/").status_code == 200
    assert 'data-nav="seller-dashboard"' in client.get("/").content.decode()


def test_make_seller_is_idempotent_and_resumes_a_paused_seller(make_user):
    user = make_user()
    first = make_seller(user)
    assert make_seller(user).pk == first.pk
    assert SellerProfile.objects.filter(user_id=user.pk).count() == 1
    assert revoke_seller(user) is True
    assert revoke_seller(user) is False  # nothing to stop
    assert not is_seller(fresh(user))
    make_seller(user)
    assert is_seller(fresh(user))
    assert SellerProfile.objects.get(user_id=user.pk).created_at == first.created_at


def test_a_revoked_seller_keeps_products_and_loses_the_panel(make_seller, make_product):
    seller = make_seller()
    product = make_product(seller=seller)
    client = logged_in(seller)
    assert client.get("/seller/products/").status_code == 200
    revoke_seller(seller)
    assert client.get("/seller/products/").status_code == 403
    assert Client().get(product.get_absolute_url()).status_code == 200  # still for sale


def test_anonymous_and_unsaved_users_are_not_sellers(make_user):
    assert not is_seller(AnonymousUser())
    assert not is_seller(None)
    with pytest.raises(ValueError, match="Save the user"):
        make_seller(User())


@pytest.mark.django_db(transaction=True)
def test_concurrent_make_seller_calls_make_one_seller(make_user):
    user = make_user()

    def call(i: int) -> int:
        try:
            return make_seller(fresh(user)).pk
        finally:
            connection.close()

    assert len(set(send_together(4, call))) == 1  # no IntegrityError, one profile
    assert SellerProfile.objects.filter(user_id=user.pk, active=True).count() == 1


# ---------------------------------------------------------------------------
# one query per request for the person's state
# ---------------------------------------------------------------------------


def test_seller_and_verified_state_cost_one_query_per_request(make_user):
    """The header, the navigation and the banner all ask about request.user: one query."""
    seller = make_user(role="seller", email_verified=False)
    client = logged_in(seller)
    client.get("/products/")  # warm the session and the catalog caches
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/products/").content.decode()
    # The product list's own query joins its sellers' rows (their names on the cards,
    # and it runs even when empty: it carries the count); the visitor's are apart.
    people = [q["sql"] for q in queries.captured_queries
              if ("marketplace_core_sellerprofile" in q["sql"]
                  or "marketplace_core_account" in q["sql"])
              and not q["sql"].startswith('SELECT "marketplace_core_product"')]
    assert len(people) == 1, people
    assert 'data-nav="seller-dashboard"' in html  # the seller state was read
    assert "Please confirm your email address" in html  # and the verified state


def _visitor_queries(client: Client, person: Any) -> tuple[list[str], str]:
    """The queries of a warm catalog page that read the user table, and the page
    (its user parts rendered again: the person's cached ones retired)."""
    client.get("/products/")  # warm the session and the catalog caches
    bump_person(person.pk)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/products/").content.decode()
    table = connection.ops.quote_name(User._meta.db_table)
    return [q["sql"] for q in queries.captured_queries if f"FROM {table}" in q["sql"]], html


@pytest.mark.parametrize("seller", [True, False])
def test_the_person_backend_reads_the_persons_rows_with_the_user(make_user, seller):
    """PersonModelBackend: the user and their seller/verified rows in one query,
    also for someone with no rows at all (nothing asked again)."""
    person = make_user(role="seller" if seller else "customer", email_verified=False)
    users, html = _visitor_queries(logged_in(person), person)
    assert len(users) == 1, users
    assert "marketplace_core_sellerprofile" in users[0]
    assert "marketplace_core_account" in users[0]
    assert ('data-nav="seller-dashboard"' in html) is seller
    assert "Please confirm your email address" in html


def test_with_djangos_model_backend_the_rows_cost_one_more_query(make_user, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    person = make_user(role="seller", email_verified=False)
    users, html = _visitor_queries(logged_in(person), person)
    assert len(users) == 2, users  # the user, then the person's rows
    assert 'data-nav="seller-dashboard"' in html
    assert "Please confirm your email address" in html


def test_the_person_backend_logs_out_a_deactivated_user(make_user):
    person = make_user()
    client = logged_in(person)
    assert "Log out" in client.get("/").content.decode()
    type(person)._default_manager.filter(pk=person.pk).update(is_active=False)
    html = client.get("/").content.decode()
    assert "Log out" not in html and "Log in" in html


# ---------------------------------------------------------------------------
# the management command
# ---------------------------------------------------------------------------


def _seller_command(*args: str) -> str:
    out = StringIO()
    call_command("marketplace_seller", *args, stdout=out)
    return out.getvalue()


def test_command_adds_and_removes_by_email_or_login_name(make_user):
    ada = make_user(email="ada@example.com")
    grace = make_user(email="grace@example.com")
    output = _seller_command("add", "ADA@example.com", grace.get_username())
    assert f"{ada.get_username()}: can sell now." in output
    assert f"{grace.get_username()}: can sell now." in output
    assert is_seller(fresh(ada)) and is_seller(fresh(grace))
    assert "was already a seller" in _seller_command("add", "ada@example.com")
    assert "no longer sells" in _seller_command("remove", "grace@example.com")
    assert not is_seller(fresh(grace))
    listing = _seller_command("list")
    assert "ada@example.com" in listing and "(paused)" in listing


def test_command_changes_nothing_when_a_user_is_unknown(make_user):
    ada = make_user(email="ada@example.com")
    with pytest.raises(CommandError, match=r"No user has the .* 'nobody@example\.com'"):
        _seller_command("add", "ada@example.com", "nobody@example.com")
    assert not is_seller(fresh(ada))
    with pytest.raises(CommandError, match="Name the users"):
        _seller_command("add")


@pytest.mark.skipif(CORE_USER, reason="core's User has one account per address")
def test_command_refuses_an_address_two_accounts_share(make_user):
    make_user(email="shared@example.com", username="ann")
    make_user(email="shared@example.com", username="bob")
    with pytest.raises(CommandError, match="Several users have the address"):
        _seller_command("add", "shared@example.com")


# ---------------------------------------------------------------------------
# the admin
# ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(make_user):
    admin = make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    return logged_in(admin)


def test_admin_adds_a_seller_profile_for_an_existing_user(admin_client, make_user):
    user = make_user()
    response = admin_client.post("/admin/marketplace_core/sellerprofile/add/",
                                 {"user": user.pk, "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert is_seller(fresh(user))
    changelist = admin_client.get("/admin/marketplace_core/sellerprofile/",
                                  {"q": user.email}).content.decode()
    assert str(user) in changelist


def test_admin_pauses_and_resumes_sellers(admin_client, make_seller):
    seller = make_seller()
    url = "/admin/marketplace_core/sellerprofile/"
    admin_client.post(url, {"action": "pause", "_selected_action": [seller.pk]})
    assert not is_seller(fresh(seller))
    admin_client.post(url, {"action": "resume", "_selected_action": [seller.pk]})
    assert is_seller(fresh(seller))


@core_user_only  # a project registers its own user admin
def test_core_user_admin_makes_and_stops_sellers(admin_client, make_user):
    users = [make_user() for _ in range(3)]
    url = "/admin/marketplace_core/user/"
    response = admin_client.post(url, {"action": "make_sellers",
                                       "_selected_action": [u.pk for u in users]}, follow=True)
    assert "3 users can sell now." in response.content.decode()
    assert all(is_seller(fresh(u)) for u in users)
    admin_client.post(url, {"action": "revoke_sellers", "_selected_action": [users[0].pk]})
    assert not is_seller(fresh(users[0])) and is_seller(fresh(users[1]))
    # The seller and verified columns come with the rows: no query per user.
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(10):
        make_user()
    with CaptureQueriesContext(connection) as many:
        html = admin_client.get(url).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert html.count('alt="True"') >= 2  # sellers and verified addresses shown


@pytest.mark.parametrize("seller", [True, False])
def test_the_person_query_builds_what_the_orm_builds(make_user, seller,
                                                     django_assert_num_queries):
    """``PersonQuery`` (the backend's query compiled once) gives the user and its
    rows as ``select_related(...).get()`` does, in one query, and ``None`` for a
    key that is not there."""
    from django.forms.models import model_to_dict

    from marketplace_core.people import records
    from marketplace_core.people.backends import person

    made = make_user(role="seller" if seller else "customer")
    orm = User._default_manager.select_related(records.ACCOUNT, records.SELLER).get(pk=made.pk)
    with django_assert_num_queries(1):
        user = person(User, made.pk)
        assert (is_seller(user), records.is_email_verified(user)) == (seller, True)
    assert type(user) is type(orm) and user.pk == orm.pk
    assert model_to_dict(user) == model_to_dict(orm)
    assert user.last_login == orm.last_login
    assert model_to_dict(records.account(user)) == model_to_dict(records.account(orm))
    if seller:
        assert records.seller_profile(user).created_at == records.seller_profile(orm).created_at
    assert person(User, made.pk + 1000) is None
