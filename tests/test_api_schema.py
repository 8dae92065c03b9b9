"""schemathesis against the whole ``/api/v1/openapi.json``, through the WSGI app
(:mod:`marketplace_core.testing.api_schema`).

Every operation gets a bounded number of generated requests (valid and odd
input alike) with a valid write key of a seller who has products, a category,
a sale and a discount code. Each answer must be no server error, have a status
the schema documents, and match the schema of that status.
"""

from __future__ import annotations

from typing import Any

from marketplace_core.api_keys.services import create_key
from marketplace_core.catalog.models import Category
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.testing.api_schema import assert_api_answers_as_documented
from marketplace_core.testing.factories import make_product, make_seller, make_user
from tests.panels_support import sell


def test_every_operation_answers_as_documented(db: Any) -> None:
    seller = make_seller()
    category = Category.objects.create(seller=seller, name="Guides", slug="guides")
    product = make_product(seller=seller, title="Field Guide", price=1500, currency="USD")
    product.categories.add(category)
    make_product(seller=seller, title="Draft", status="draft", content=None)
    sell(make_user(), product)
    DiscountCode.objects.create(seller=seller, code="SPRING", percent=10)

    checked = assert_api_answers_as_documented(
        create_key(seller, name="schemathesis", scope="write").token)

    assert {"GET /api/v1/products", "POST /api/v1/products/{product_id}/file",
            "POST /api/v1/orders/{reference}/refunds", "DELETE /api/v1/discount-codes/{code_id}",
            "GET /api/v1/customers", "GET /api/v1/seller/dashboard"} <= set(checked)
    assert len(checked) >= 20
