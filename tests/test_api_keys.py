"""Sellers' API keys: the panel page (create, shown once, list, revoke) and what a key
authenticates (scopes, revocation, deactivated sellers, rate limits)."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from marketplace_core.api_keys.models import ApiKey
from marketplace_core.api_keys.services import create_key, hash_token
from marketplace_core.roles import revoke_seller
from marketplace_core.testing.factories import logged_in
from tests.api_support import KeyClient, key_client

pytestmark = pytest.mark.django_db

PAGE = "/seller/api-keys/"
PRODUCTS = "/api/v1/products"


def test_a_new_key_is_shown_once_and_stored_only_as_a_hash(make_seller):
    seller = make_seller()
    client = logged_in(seller)

    created = client.post(PAGE, {"name": "Zapier", "scope": "write"})
    [token] = re.findall(r">(mkp_[^<]+)</textarea>", created.content.decode())
    again = client.get(PAGE).content.decode()

    assert created.status_code == 201
    assert created["Cache-Control"] == "private, no-store"
    key = ApiKey.objects.get(seller=seller)
    assert (key.name, key.scope, key.secret_hash) == ("Zapier", "write", hash_token(token))
    assert token not in again and key.prefix in again and "Zapier" in again
    assert KeyClient(token).get(PRODUCTS).status_code == 200


def test_the_key_form_needs_a_name(make_seller):
    response = logged_in(make_seller()).post(PAGE, {"name": "  ", "scope": "read"})

    assert response.status_code == 400
    assert 'data-errors-for="name"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_asks_first_and_then_the_key_stops_working(make_seller):
    seller = make_seller()
    created = create_key(seller, name="CI", scope="read")
    client = logged_in(seller)
    url = f"/seller/api-keys/{created.key.pk}/revoke/"

    confirm = client.get(url)
    assert KeyClient(created.token).get(PRODUCTS).status_code == 200
    revoked = client.post(url)

    assert confirm.status_code == 200 and "Revoke key" in confirm.content.decode()
    assert revoked.status_code == 302
    answer = KeyClient(created.token).get(PRODUCTS)
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert "Revoked" in client.get(PAGE).content.decode()


def test_another_sellers_key_cannot_be_revoked_or_seen(make_seller):
    owner, other = make_seller(), make_seller()
    created = create_key(owner, name="Owner's", scope="read")
    client = logged_in(other)

    assert client.get(f"/seller/api-keys/{created.key.pk}/revoke/").status_code == 404
    assert client.post(f"/seller/api-keys/{created.key.pk}/revoke/").status_code == 404
    assert "Owner's" not in client.get(PAGE).content.decode()
    assert KeyClient(created.token).get(PRODUCTS).status_code == 200


def test_buyers_have_no_api_keys_page(make_user):
    assert logged_in(make_user()).get(PAGE).status_code == 403


def test_the_panel_lists_api_keys_in_the_seller_nav(make_seller):
    html = logged_in(make_seller()).get("/seller/").content.decode()
    assert f'href="{PAGE}"' in html and "API keys" in html


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer mkp_not-a-key"}, {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"}, {"X-API-Key": "wrong"},
])
def test_requests_without_a_valid_key_get_401_with_the_error_body(client, headers):
    response = client.get(PRODUCTS, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: send a valid API key (or log in, for the site's "
                  "own pages).", "code": "not_authenticated"}


def test_the_x_api_key_header_works_as_well(client, make_seller):
    token = create_key(make_seller(), name="Header", scope="read").token
    assert client.get(PRODUCTS, headers={"X-API-Key": token}).status_code == 200


def test_a_read_key_may_not_write(make_seller):
    response = key_client(make_seller(), scope="read").post(
        PRODUCTS, {"title": "Guide", "price": "5"})

    assert response.status_code == 403
    assert response.json()["code"] == "scope_required"


def test_keys_of_deactivated_users_or_former_sellers_authenticate_nothing(make_seller):
    inactive, former = make_seller(), make_seller()
    inactive_client, former_client = key_client(inactive), key_client(former)
    inactive.is_active = False
    inactive.save()
    revoke_seller(former)

    assert inactive_client.get(PRODUCTS).status_code == 401
    assert former_client.get(PRODUCTS).status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute(make_seller):
    created = create_key(make_seller(), name="Poller", scope="read")
    client = KeyClient(created.token)

    client.get(PRODUCTS)
    first = ApiKey.objects.get(pk=created.key.pk).last_used_at
    client.get(PRODUCTS)

    assert first is not None
    assert ApiKey.objects.get(pk=created.key.pk).last_used_at == first


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_each_key_has_its_own_rate_limit_with_retry_after(make_seller, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "API_RATE_LIMIT": "3/m"}
    seller = make_seller()
    busy, calm = key_client(seller, "read"), key_client(seller, "read")

    answers = [busy.get(PRODUCTS) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert calm.get(PRODUCTS).status_code == 200


def test_a_bad_rate_setting_is_a_system_check_error_naming_it(settings):
    from django.core.checks import run_checks

    with override_settings(MARKETPLACE={**settings.MARKETPLACE, "API_RATE_LIMIT": "lots"}):
        errors = [m for m in run_checks() if m.id == "marketplace_core.E050"]

    assert len(errors) == 1 and "MARKETPLACE['API_RATE_LIMIT']" in errors[0].msg


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_wrong_keys_are_limited_per_address_before_any_lookup(client, make_seller, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"api_key_failures": "2/m"}}
    token = create_key(make_seller(), name="Real", scope="read").token
    wrong = {"Authorization": "Bearer mkp_guess"}

    answers = [client.get(PRODUCTS, headers=wrong) for _ in range(3)]
    with_real_key = client.get(PRODUCTS, headers={"Authorization": f"Bearer {token}"})
    elsewhere = client.get(PRODUCTS, headers={"Authorization": f"Bearer {token}"},
                           REMOTE_ADDR="192.0.2.7")

    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert answers[-1].json()["code"] == "rate_limited" and answers[-1]["Retry-After"]
    assert with_real_key.status_code == 429
    assert elsewhere.status_code == 200


def test_staff_revoke_a_leaked_key_in_the_admin_without_seeing_its_hash(make_seller, make_user):
    from marketplace_core.testing.factories import logged_in

    created = create_key(make_seller(), name="Leaked", scope="write")
    staff = logged_in(make_user(is_staff=True, is_superuser=True))

    listing = staff.get("/admin/marketplace_core/apikey/")
    page = staff.get(f"/admin/marketplace_core/apikey/{created.key.pk}/change/").content.decode()
    assert listing.status_code == 200 and created.key.prefix in listing.content.decode()
    assert created.key.secret_hash not in page and created.token not in page

    staff.post("/admin/marketplace_core/apikey/", {
        "action": "revoke", "_selected_action": [created.key.pk]})

    assert ApiKey.objects.get(pk=created.key.pk).revoked_at is not None
    assert KeyClient(created.token).get(PRODUCTS).status_code == 401
