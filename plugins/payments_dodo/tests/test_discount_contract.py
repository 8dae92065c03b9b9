"""The plugin's and the fake's discount calls, per Dodo's OpenAPI description:
create, patch, read, delete a discount and check out with it through the real
SDK; every request and answer is validated against ``openapi.json``.
Skipped when the description is absent (``conftest.py``; CI always has it).
"""

from __future__ import annotations

import dodopayments
import pytest
from marketplace_payments_dodo import discounts
from marketplace_payments_dodo.conf import conf
from marketplace_payments_dodo.testing import FakeDodo

from marketplace_core.discounts.models import DiscountCode
from marketplace_core.ownership import services
from marketplace_core.plugins.registry import payment_provider
from tests.conftest import OPENAPI_JSON

if not OPENAPI_JSON.is_file():
    pytest.skip("Dodo's OpenAPI description is absent", allow_module_level=True)

from tests.test_openapi_contract import operation, problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(dodo: FakeDodo, make_seller, make_product, make_user, rf) -> FakeDodo:
    seller = make_seller()
    product = make_product(seller=seller, price=2000, currency="EUR")
    fixed = DiscountCode.objects.create(seller=seller, code="FIVE", kind="fixed", percent=None,
                                        amount=500, currency="EUR", usage_limit=5)
    code = DiscountCode.objects.create(seller=seller, code="SAVE25", percent=25)
    code.products.set([product])
    discounts.sync_discount(fixed.pk)
    link = discounts.sync_discount(code.pk)
    assert link is not None
    code.percent = 30
    code.save()
    discounts.sync_discount(code.pk)  # PATCH
    with dodopayments.DodoPayments(bearer_token=conf.API_KEY, base_url=conf.BASE_URL) as sdk:
        assert sdk.discounts.retrieve(link.dodo_discount_id).amount == 3000
    order = services.start_checkout(buyer=make_user(), product=product, provider="dodo",
                                    billing={"name": "Ada", "email": "ada@example.org",
                                             "country": "DE"}, discount_code="save25")
    request = rf.get("/", HTTP_HOST="shop.example.com")
    request.user = order.buyer
    payment_provider("dodo").start_checkout(request, order)
    fixed.is_active = False
    fixed.save()
    discounts.sync_discount(fixed.pk)  # DELETE
    return dodo


def test_the_story_covers_every_discount_route(story):
    assert {(e.method, e.route) for e in story.exchanges if "discount" in e.route} == {
        ("POST", "/discounts"), ("PATCH", "/discounts/{discount_id}"),
        ("GET", "/discounts/{discount_id}"), ("DELETE", "/discounts/{discount_id}")}


def test_discount_requests_and_answers_match_the_description(story):
    found = {}
    for exchange in story.exchanges:
        if "discount" not in exchange.route and not (
                exchange.route == "/checkouts" and "discount_codes" in exchange.request):
            continue
        key = f"{exchange.method} {exchange.route}"
        op = operation(exchange.route, exchange.method)
        if op.get("requestBody"):
            found[key + " request"] = problems(
                exchange.request, "paths", exchange.route, exchange.method.lower(),
                "requestBody", "content", "application/json", "schema")
        status = str(exchange.status)
        assert status in op["responses"] and exchange.status < 300, exchange
        answer = op["responses"][status]
        if "content" not in answer:
            assert exchange.response is None, f"{key} answers without a body"
            continue
        found[key + " answer"] = problems(
            exchange.response, "paths", exchange.route, exchange.method.lower(), "responses",
            status, "content", "application/json", "schema")
    assert len(found) == 7 and all(not p for p in found.values()), found
