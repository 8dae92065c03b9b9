"""The fake Dodo and the plugin speak Dodo's language, per Dodo's OpenAPI description.

A whole purchase runs through the real SDK against the fake: product created
and updated, checkout session created and read back (with the SDK itself: the fake
serves ``GET /checkouts/{id}`` for plugin authors though this plugin never reads a
session), payment paid, failed,
read back, its invoice fetched (a PDF), partly refunded at the seller's
request (``POST /refunds``) and disputed. Every request
the plugin sent and every answer the fake gave is validated against
``openapi.json`` (request bodies, 2xx responses, the PDF as the description's
array of bytes), and so is every webhook body the fake signed (the
``webhooks`` section). Collected when ``../shared/dodo/openapi.json`` (or
``DODO_OPENAPI_JSON``) exists; see ``conftest.py``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import dodopayments
import pytest
from jsonschema import Draft202012Validator
from marketplace_payments_dodo import client, sync
from marketplace_payments_dodo.conf import conf
from marketplace_payments_dodo.testing import FakeDodo, WebhookMode
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Payment
from tests.conftest import OPENAPI_JSON

pytestmark = pytest.mark.django_db

SPEC_URI = "urn:dodo-openapi"


@cache
def spec() -> dict[str, Any]:
    return json.loads(OPENAPI_JSON.read_text())


@cache
def registry() -> Registry:
    return Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def problems(instance: Any, *pointer: str) -> list[str]:
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{_pointer(*pointer)}"},
                                     registry=registry())
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)]


def operation(route: str, method: str) -> dict[str, Any]:
    return spec()["paths"][route][method.lower()]


@pytest.fixture
def flow(dodo: FakeDodo, make_user, make_product, rf) -> FakeDodo:
    """A purchase story through the plugin and the fake, recorded by the fake."""
    dodo.webhook_mode = WebhookMode(max_attempts=1, retry_delay=0)
    product = make_product(title="Field Guide", description="Maps and more.", price=1999,
                           currency="EUR")
    sync.sync_product(product)
    product.price = 2499
    product.save()
    sync.sync_product(product)  # PATCH
    assert "DE" in client.supported_countries()

    for outcome in ("pay", "fail"):
        order = services.start_checkout(buyer=make_user(), product=product, provider="dodo",
                                        billing={"name": "Ada", "email": "ada@example.org",
                                                 "country": "DE"})
        request = rf.get("/", HTTP_HOST="shop.example.com")
        request.user = order.buyer
        from marketplace_core.plugins.registry import payment_provider

        session = payment_provider("dodo").start_checkout(request, order)
        paid = dodo.settle_checkout(session.provider_checkout_id, outcome)  # type: ignore[arg-type]
        with dodopayments.DodoPayments(bearer_token=conf.API_KEY, base_url=conf.BASE_URL) as sdk:
            status = sdk.checkout_sessions.retrieve(session.provider_checkout_id)
        assert status.payment_id == paid["payment_id"]
        payment = client.retrieve_payment(status.payment_id)
        if outcome == "pay":
            assert client.payment_invoice(payment.payment_id).startswith(b"%PDF-")
            # A seller's partial refund, as core's task asks for it (POST /refunds).
            payment_provider("dodo").request_refund(
                order=order, payment=Payment(order=order, provider="dodo", amount=2499,
                                             provider_payment_id=payment.payment_id),
                amount=500, reason="Partial refund", idempotency_key="req-1")
            dispute = dodo.dispute(payment.payment_id)
            dodo.dispute(payment.payment_id, status="dispute_challenged", dispute_id=dispute)
    dodo.wait_for_webhooks()
    return dodo


def test_the_story_covers_every_route_and_event_the_plugin_uses(flow):
    routes = {(e.method, e.route) for e in flow.exchanges}
    assert routes == {("POST", "/products"), ("PATCH", "/products/{id}"),
                      ("POST", "/checkouts"), ("GET", "/checkouts/{id}"),
                      ("GET", "/payments/{payment_id}"), ("POST", "/refunds"),
                      ("GET", "/invoices/payments/{payment_id}"),
                      ("GET", "/checkout/supported_countries")}
    assert {w.event_type for w in flow.webhooks} == {
        "payment.processing", "payment.succeeded", "payment.failed", "refund.succeeded",
        "dispute.opened", "dispute.challenged"}


def test_requests_the_plugin_sends_match_the_description(flow):
    found = {}
    for exchange in flow.exchanges:
        body = operation(exchange.route, exchange.method).get("requestBody")
        if body is None:
            assert exchange.request is None, f"{exchange.method} {exchange.route} has no body"
            continue
        found[f"{exchange.method} {exchange.route}"] = problems(
            exchange.request, "paths", exchange.route, exchange.method.lower(), "requestBody",
            "content", "application/json", "schema")
    assert found and all(not p for p in found.values()), found


def test_answers_of_the_fake_match_the_description(flow):
    found = {}
    for exchange in flow.exchanges:
        assert exchange.status == 200, exchange
        answer = operation(exchange.route, exchange.method)["responses"]["200"]
        if "content" not in answer:
            assert exchange.response is None, f"{exchange.route} answers without a body"
            continue
        if isinstance(exchange.response, bytes):  # a PDF: the description's array of bytes
            assert set(answer["content"]) == {"application/pdf"}, exchange.route
            assert exchange.response.startswith(b"%PDF-"), exchange.response[:20]
            found[f"{exchange.method} {exchange.route}"] = problems(
                list(exchange.response), "paths", exchange.route, exchange.method.lower(),
                "responses", "200", "content", "application/pdf", "schema")
            continue
        found[f"{exchange.method} {exchange.route}"] = problems(
            exchange.response, "paths", exchange.route, exchange.method.lower(), "responses",
            "200", "content", "application/json", "schema")
    assert len(found) == 7 and all(not p for p in found.values()), found


def test_webhooks_of_the_fake_match_the_description(flow):
    found = {}
    for record in flow.webhooks:
        assert record.event_type in spec()["webhooks"], record.event_type
        found[record.msg_id + " " + record.event_type] = problems(
            json.loads(record.body), "webhooks", record.event_type, "post", "requestBody",
            "content", "application/json", "schema")
    assert found and all(not p for p in found.values()), found


def test_the_validator_catches_a_wrong_shape(flow):
    """Guards the tests above against passing vacuously."""
    request = next(e.request for e in flow.exchanges if e.route == "/products")
    broken = {**request, "price": {**request["price"], "price": "1999"}}
    del broken["name"]
    assert len(problems(broken, "paths", "/products", "post", "requestBody", "content",
                        "application/json", "schema")) >= 2
