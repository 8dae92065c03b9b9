"""``/api/v1/license-keys``: a seller's keys through the integrator API, with an API key."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from marketplace_licenses.models import Activation, LicenseKey

from marketplace_core.api_keys.services import create_key

pytestmark = pytest.mark.django_db

BASE = "/api/v1/license-keys"


def key_headers(seller: Any, scope: str = "write") -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(seller, name='CI', scope=scope).token}"}


@pytest.fixture
def integrator(seller: Any) -> Client:
    return Client(headers=key_headers(seller))


def test_the_seller_lists_their_keys_with_usage_and_never_the_full_key(
        integrator, license_key, api, make_user, paid, product):
    api.post("activate", license_key=license_key.key, instance_name="laptop")
    other = paid(make_user(email="cy@example.com"), product)

    body = integrator.get(BASE).json()

    assert [item["id"] for item in body["items"]] == [
        LicenseKey.objects.get(purchase=other).pk, license_key.pk]
    first = body["items"][1]
    assert (first["prefix"], first["status"], first["activation_usage"],
            first["activation_limit"], first["buyer_email"]) == (
        license_key.prefix, "active", 1, 3, "bea@example.com")
    assert first["order_reference"] == str(license_key.purchase.order.reference)
    assert license_key.key not in integrator.get(BASE).content.decode()
    assert body["next_cursor"] is None


def test_pages_follow_the_cursor_and_cost_the_same_at_any_size(
        integrator, product, paid, make_user, django_assert_max_num_queries):
    for n in range(5):
        paid(make_user(email=f"b{n}@example.com"), product)
    with django_assert_max_num_queries(6):
        first = integrator.get(BASE, {"limit": 2}).json()
    second = integrator.get(BASE, {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = integrator.get(BASE, {"limit": 2, "cursor": second["next_cursor"]}).json()
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == list(LicenseKey.objects.order_by("-created_at", "-id")
                       .values_list("id", flat=True))
    assert third["next_cursor"] is None


def test_the_product_filter_and_another_sellers_keys(
        integrator, license_key, make_seller, make_product, make_user, paid):
    from marketplace_licenses.models import LicensePolicy

    theirs = make_product(seller=make_seller(), title="Other App")
    LicensePolicy.objects.create(product=theirs, issue_keys=True)
    foreign = LicenseKey.objects.get(purchase=paid(make_user(), theirs))

    assert [i["id"] for i in integrator.get(BASE).json()["items"]] == [license_key.pk]
    assert integrator.get(BASE, {"product": theirs.pk}).json()["items"] == []
    for response in (integrator.get(f"{BASE}/{foreign.pk}"),
                     integrator.post(f"{BASE}/{foreign.pk}/disable"),
                     integrator.get(f"{BASE}/999999")):
        assert response.status_code == 404
        assert response.json() == {"detail": "No such license key.", "code": "not_found"}
    foreign.refresh_from_db()
    assert foreign.disabled_at is None


def test_disable_enable_and_free_an_activation(integrator, license_key, api):
    instance = api.post("activate", license_key=license_key.key,
                        instance_name="laptop").json()["instance"]["id"]
    activation = Activation.objects.get(instance_id=instance)

    detail = integrator.get(f"{BASE}/{license_key.pk}").json()
    assert [a["instance_id"] for a in detail["activations"]] == [instance]

    freed = integrator.delete(f"{BASE}/{license_key.pk}/activations/{activation.pk}")
    assert freed.status_code == 200 and freed.json()["activation_usage"] == 0
    assert api.post("validate", license_key=license_key.key,
                    instance_id=instance).status_code == 404

    disabled = integrator.post(f"{BASE}/{license_key.pk}/disable")
    assert (disabled.json()["status"], disabled.json()["disabled_by"]) == ("disabled", "seller")
    assert api.post("validate", license_key=license_key.key).status_code == 404
    enabled = integrator.post(f"{BASE}/{license_key.pk}/enable")
    assert enabled.json()["status"] == "active"
    assert api.post("validate", license_key=license_key.key).status_code == 200


def test_an_activation_of_another_key_is_not_found(integrator, license_key, api, make_user,
                                                   paid, product):
    other = LicenseKey.objects.get(purchase=paid(make_user(), product))
    instance = api.post("activate", license_key=other.key,
                        instance_name="desk").json()["instance"]["id"]
    activation = Activation.objects.get(instance_id=instance)

    response = integrator.delete(f"{BASE}/{license_key.pk}/activations/{activation.pk}")

    assert response.status_code == 404
    assert Activation.objects.filter(pk=activation.pk).exists()


def test_a_key_a_refund_disabled_cannot_be_enabled(integrator, license_key, refunded):
    refunded(license_key.purchase)

    response = integrator.post(f"{BASE}/{license_key.pk}/enable")

    assert response.status_code == 409
    assert response.json()["code"] == "revoked"
    license_key.refresh_from_db()
    assert license_key.disabled_by == LicenseKey.DisabledBy.REVOCATION


def test_a_read_key_reads_but_cannot_change(seller, license_key):
    reader = Client(headers=key_headers(seller, "read"))

    assert reader.get(f"{BASE}/{license_key.pk}").status_code == 200
    refused = reader.post(f"{BASE}/{license_key.pk}/disable")

    assert refused.status_code == 403
    assert refused.json()["code"] == "scope_required"
    license_key.refresh_from_db()
    assert license_key.disabled_at is None


def test_no_key_no_answer(license_key):
    response = Client().get(BASE)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}
