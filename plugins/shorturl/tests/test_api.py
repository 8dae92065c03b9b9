"""``/api/v1/short-links``: a seller's links through the API, with the panel's rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from marketplace_shorturl.models import ShortURL

from marketplace_core.api_keys.services import create_key
from marketplace_core.testing import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/short-links"


def headers(seller: Any, scope: str = "write") -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(seller, name='t', scope=scope).token}"}


def test_a_link_is_created_listed_changed_and_deleted(seller: Any) -> None:
    client, auth = Client(), headers(seller)

    created = client.post(URL, {"destination": "https://example.com/spring", "slug": "Spring"},
                          content_type="application/json", headers=auth)
    link_id = created.json()["id"]
    changed = client.patch(f"{URL}/{link_id}", {"max_visits": 10},
                           content_type="application/json", headers=auth)
    listed = client.get(URL, headers=auth).json()
    deleted = client.delete(f"{URL}/{link_id}", headers=auth)

    assert created.status_code == 201, created.json()
    assert (created.json()["slug"], created.json()["short_url"]) == (
        "spring", "http://testserver/s/spring")
    assert changed.json()["max_visits"] == 10
    assert changed.json()["destination"] == "https://example.com/spring"
    assert [item["slug"] for item in listed["items"]] == ["spring"]
    assert deleted.status_code == 204
    assert not ShortURL.objects.exists()
    assert client.get("/s/spring").status_code == 404


@pytest.mark.parametrize("payload,field", [
    ({"destination": "http://127.0.0.1/admin"}, "destination"),
    ({"destination": "javascript:alert(1)"}, "destination"),
    ({"destination": "https://example.com/", "slug": "manage"}, "slug"),
])
def test_the_panels_validation_applies(seller: Any, payload: dict[str, str], field: str) -> None:
    response = Client().post(URL, payload, content_type="application/json",
                             headers=headers(seller))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert not ShortURL.objects.exists()


def test_a_taken_slug_is_a_field_error(seller: Any, make_link: Any) -> None:
    make_link(owner=factories.make_seller(), slug="taken")

    response = Client().post(URL, {"destination": "https://example.com/", "slug": "taken"},
                             content_type="application/json", headers=headers(seller))

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "slug_taken"


def test_another_sellers_link_is_a_404_and_stays(seller: Any, make_link: Any) -> None:
    theirs = make_link(owner=factories.make_seller(), slug="theirs")
    auth = headers(seller)

    answers = [Client().get(f"{URL}/{theirs.pk}", headers=auth),
               Client().delete(f"{URL}/{theirs.pk}", headers=auth)]

    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == {"detail": "No such short link.", "code": "not_found"}
    assert ShortURL.objects.filter(pk=theirs.pk).exists()


def test_a_read_key_cannot_create_links(seller: Any) -> None:
    response = Client().post(URL, {"destination": "https://example.com/"},
                             content_type="application/json", headers=headers(seller, "read"))

    assert response.status_code == 403
    assert response.json()["code"] == "scope_required"
