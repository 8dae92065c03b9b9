"""The public license API: Lemon Squeezy's fields, form or JSON bodies, no
session or CSRF token; every refusal, and no way to tell a wrong key from a
disabled one."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from marketplace_licenses.models import Activation, LicenseKey

pytestmark = pytest.mark.django_db


def test_activate_returns_the_instance_and_the_keys_state(api, license_key, product):
    response = api.post("activate", license_key=license_key.key, instance_name="Studio PC")
    assert response.status_code == 200
    body = response.json()
    assert body["activated"] is True
    assert body["error"] is None
    assert body["license_key"]["status"] == "active"  # Lemon Squeezy: active once activated
    assert body["license_key"]["key"] == license_key.key
    assert body["license_key"]["activation_limit"] == 3
    assert body["license_key"]["activation_usage"] == 1
    assert body["license_key"]["expires_at"] is None
    assert body["instance"]["name"] == "Studio PC"
    assert Activation.objects.get(instance_id=body["instance"]["id"]).license_key == license_key
    assert body["meta"]["product_id"] == product.pk
    assert body["meta"]["product_name"] == "Pixel Editor Pro"
    assert body["meta"]["customer_email"] == "b***@example.com"


def test_activate_takes_json_and_a_key_typed_loosely(api, license_key):
    loose = " " + license_key.key.lower().replace("-", " ") + " "
    response = api.post("activate", as_json=True, license_key=loose, instance_name="Laptop")
    assert response.status_code == 200
    assert response.json()["activated"] is True


def test_an_unused_key_is_inactive_as_lemon_squeezy_says(api, license_key):
    response = api.post("validate", license_key=license_key.key)
    assert response.status_code == 200
    assert response.json()["valid"] is True
    assert response.json()["license_key"]["status"] == "inactive"
    assert response.json()["license_key"]["activation_usage"] == 0


def test_validate_with_and_without_an_instance(api, license_key):
    instance = api.post("activate", license_key=license_key.key,
                        instance_name="Laptop").json()["instance"]
    unused = api.post("validate", license_key=license_key.key)
    assert unused.json()["license_key"]["status"] == "active"
    plain = api.post("validate", license_key=license_key.key)
    assert plain.status_code == 200
    assert plain.json()["valid"] is True
    assert plain.json()["instance"] is None
    assert plain.json()["license_key"]["activation_usage"] == 1
    with_instance = api.post("validate", as_json=True, license_key=license_key.key,
                             instance_id=instance["id"])
    assert with_instance.json()["valid"] is True
    assert with_instance.json()["instance"]["id"] == instance["id"]


def test_deactivate_frees_the_slot(api, license_key):
    instance = api.post("activate", license_key=license_key.key,
                        instance_name="Old PC").json()["instance"]
    response = api.post("deactivate", license_key=license_key.key, instance_id=instance["id"])
    assert response.status_code == 200
    body = response.json()
    assert body["deactivated"] is True
    assert body["license_key"]["activation_usage"] == 0
    assert "instance" not in body
    again = api.post("validate", license_key=license_key.key, instance_id=instance["id"])
    assert again.status_code == 404
    assert again.json()["valid"] is False
    assert again.json()["error"] == "instance not found."


def test_the_activation_limit_refuses_one_more(api, license_key):
    for n in range(3):
        assert api.post("activate", license_key=license_key.key,
                        instance_name=f"PC {n}").status_code == 200
    response = api.post("activate", license_key=license_key.key, instance_name="PC 4")
    assert response.status_code == 400
    body = response.json()
    assert body["activated"] is False
    assert body["error"] == "This license key has reached its activation limit."
    assert body["license_key"]["activation_usage"] == 3
    assert Activation.objects.filter(license_key=license_key).count() == 3


def test_an_expired_key_is_refused_with_its_state(api, license_key):
    LicenseKey.objects.filter(pk=license_key.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1))
    response = api.post("activate", license_key=license_key.key, instance_name="PC")
    assert response.status_code == 400
    assert response.json()["error"] == "This license key has expired."
    assert response.json()["license_key"]["status"] == "expired"
    validate = api.post("validate", license_key=license_key.key)
    assert validate.status_code == 400
    assert validate.json()["valid"] is False


def test_missing_fields_are_422_with_a_message(api, license_key):
    missing = api.post("activate", instance_name="PC")
    assert missing.status_code == 422
    assert missing.json() == {
        "activated": False, "error": "license_key is required.", "license_key": None,
        "instance": None, "meta": None}
    no_name = api.post("activate", license_key=license_key.key)
    assert no_name.status_code == 422
    assert "instance_name" in no_name.json()["error"]
    no_instance = api.post("deactivate", license_key=license_key.key)
    assert no_instance.status_code == 422
    assert no_instance.json()["error"] == "instance_id is required."
    bad_json = api.client.post(api_url("activate"), "{not json", content_type="application/json")
    assert bad_json.status_code == 422


def api_url(action: str) -> str:
    from django.urls import reverse

    return reverse(f"marketplace-api:licenses_{action}")


def test_an_unknown_instance_id_is_404(api, license_key):
    for instance_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = api.post("deactivate", license_key=license_key.key, instance_id=instance_id)
        assert response.status_code == 404
        assert response.json()["error"] == "instance not found."


def test_another_keys_instance_is_not_this_keys(api, license_key, paid, make_user, product):
    other = LicenseKey.objects.get(purchase=paid(make_user(), product))
    theirs = api.post("activate", license_key=other.key, instance_name="X").json()["instance"]
    response = api.post("deactivate", license_key=license_key.key, instance_id=theirs["id"])
    assert response.status_code == 404
    assert Activation.objects.filter(instance_id=theirs["id"]).exists()


def test_a_wrong_key_and_a_disabled_key_look_the_same(api, license_key, paid, make_user,
                                                     make_product, seller):
    from marketplace_licenses.models import LicensePolicy

    other_product = make_product(seller=seller, title="Other App")
    LicensePolicy.objects.create(product=other_product, issue_keys=True)
    disabled = LicenseKey.objects.get(purchase=paid(make_user(), other_product))
    LicenseKey.objects.filter(pk=disabled.pk).update(disabled_at=timezone.now(),
                                                     disabled_by="seller")
    wrong = "AAAAAA-BBBBBB-CCCCCC-DDDDDD-EEEEEE-FFFFFF"
    for action, fields in (("activate", {"instance_name": "PC"}), ("validate", {}),
                           ("deactivate", {"instance_id": str(uuid.uuid4())})):
        answers = [api.post(action, license_key=text, **fields)
                   for text in (wrong, disabled.key, "garbage")]
        assert {a.status_code for a in answers} == {404}
        assert answers[0].content == answers[1].content == answers[2].content
        assert answers[0].json()["error"] == "license_key not found."
    assert not Activation.objects.filter(license_key=disabled).exists()


def test_no_session_or_csrf_token_is_needed_and_get_is_refused(api, license_key):
    assert api.client.get(api_url("validate")).status_code == 405
    assert api.post("validate", license_key=license_key.key).status_code == 200


def test_the_operations_are_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = {path for path in schema["paths"] if "/licenses/" in path}
    assert paths == {"/api/v1/licenses/activate", "/api/v1/licenses/validate",
                     "/api/v1/licenses/deactivate"}
