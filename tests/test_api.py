"""The order status API: JSON answers, and nobody reads another buyer's order."""

from __future__ import annotations

import pytest

from marketplace_core.ownership import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(make_user, make_product):
    buyer = make_user()
    return services.start_checkout(buyer=buyer, product=make_product(), provider="dummy")


def url(reference) -> str:
    return f"/api/v1/core/orders/{reference}/status"


@pytest.mark.smoke
def test_buyer_reads_own_order_status(client, order):
    client.force_login(order.buyer)
    response = client.get(url(order.reference))
    assert response.status_code == 200
    assert response.json() == {"reference": str(order.reference), "status": "pending"}


def test_logged_out_gets_401_json(client, order):
    response = client.get(url(order.reference))
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: send a valid API key (or log in, for the site's "
                  "own pages).", "code": "not_authenticated"}


def test_another_users_order_is_404_like_a_missing_one(client, order, make_user):
    client.force_login(make_user())
    other = client.get(url(order.reference))
    missing = client.get(url("00000000-0000-4000-8000-000000000000"))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() == {"detail": "No such order.", "code": "not_found"}


@pytest.mark.by_database
def test_malformed_reference_is_a_4xx_json_error(client, order):
    client.force_login(order.buyer)
    response = client.get(url("not-a-uuid"))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert [error["field"] for error in body["errors"]] == ["path.reference"]
