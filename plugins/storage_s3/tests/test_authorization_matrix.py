"""Who gets a presigned link: 3 buyers x 3 products, each buyer in every role.

For product ``j``: buyer ``j`` owns it, buyer ``j+1`` bought it and was
refunded (core's ``record_refund`` revokes ownership), buyer ``j+2`` owns
another product only; an anonymous visitor tries too. Only active owners are
redirected to the store, and their link returns their product's bytes. Anyone
else logged in gets 404 (a purchase's existence never leaks); anonymous
visitors go to login. Ownership revoked directly by staff
(``revoke_ownership``) ends access the same way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Download, PurchasedProduct
from marketplace_core.testing.factories import make_seller, make_user

from .helpers import buy, download_path, http_get, logged_in, presigned_link, product_with, refund

pytestmark = pytest.mark.django_db

OWNER, REFUNDED_OWNER, OTHER_BUYER, ANONYMOUS = (
    "owner", "refunded owner", "other buyer", "anonymous",
)


def role_of(buyer_index: int, product_index: int) -> str:
    return {0: OWNER, 1: REFUNDED_OWNER, 2: OTHER_BUYER}[(buyer_index - product_index) % 3]


def test_only_active_owners_get_a_link(s3):
    seller = make_seller()
    contents = [f"product {j}: ".encode() + bytes([j]) * 2048 for j in range(3)]
    products = [product_with(contents[j], file_name=f"product-{j}.bin", seller=seller)
                for j in range(3)]
    buyers = [make_user(email=f"buyer{i}@example.com") for i in range(3)]
    for i, buyer in enumerate(buyers):
        for j, product in enumerate(products):
            if role_of(i, j) == REFUNDED_OWNER:
                refund(buy(buyer, product))
    for i, buyer in enumerate(buyers):
        for j, product in enumerate(products):
            if role_of(i, j) == OWNER:
                buy(buyer, product)
    store = urlsplit(s3.endpoint_url).netloc

    seen_roles: set[str] = set()
    for j, product in enumerate(products):
        anonymous = Client().get(download_path(product))
        assert anonymous.status_code == 302, product
        assert urlsplit(anonymous["Location"]).path == "/accounts/login/"
        assert store not in anonymous["Location"]
        seen_roles.add(ANONYMOUS)
        for i, buyer in enumerate(buyers):
            role = role_of(i, j)
            seen_roles.add(role)
            client = logged_in(buyer)
            if role == OWNER:
                fetched = http_get(presigned_link(client, product, s3.endpoint_url))
                assert fetched.status_code == 200, (i, j)
                assert fetched.content == contents[j], (i, j)
                assert fetched.headers["Content-Disposition"] == (
                    f'attachment; filename="product-{j}.bin"'
                )
            else:
                response = client.get(download_path(product))
                assert response.status_code == 404, (i, j, role)
                assert not response.has_header("Location"), (i, j, role)
                assert b"X-Amz-Signature" not in response.content

    assert seen_roles == {OWNER, REFUNDED_OWNER, OTHER_BUYER, ANONYMOUS}
    # One logged download per active owner, none for anyone else.
    assert sorted(
        (d.purchase.buyer.email, d.purchase.product_id) for d in Download.objects.all()
    ) == sorted((buyers[j].email, products[j].pk) for j in range(3))


def test_revoked_ownership_ends_access_at_once(s3):
    product = product_with(b"revocable\n")
    buyer = make_user()
    purchase = buy(buyer, product)
    client = logged_in(buyer)
    assert http_get(presigned_link(client, product, s3.endpoint_url)).content == b"revocable\n"

    assert services.revoke_ownership(purchase, reason="chargeback")

    assert client.get(download_path(product)).status_code == 404
    assert not PurchasedProduct.objects.active().filter(pk=purchase.pk).exists()
