"""schemathesis against the whole ``/api/v1/openapi.json``, through the WSGI app.

Every operation gets a bounded number of generated requests (valid and odd
input alike) with a valid write key of a seller who has products, a category,
a sale and a discount code. Each answer must be no server error, have a status
the schema documents, and match the schema of that status.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from marketplace_core.api_keys.services import create_key
from marketplace_core.catalog.models import Category
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.testing.factories import make_product, make_seller, make_user
from tests.panels_support import sell

#: Generated requests per operation: enough to find 5xx on odd input, and the whole
#: run stays well under a minute on a loaded machine.
EXAMPLES = 12


@pytest.fixture
def seller_token(db: Any) -> Any:
    seller = make_seller()
    category = Category.objects.create(seller=seller, name="Guides", slug="guides")
    product = make_product(seller=seller, title="Field Guide", price=1500, currency="USD")
    product.categories.add(category)
    make_product(seller=seller, title="Draft", status="draft", content=None)
    sell(make_user(), product)
    DiscountCode.objects.create(seller=seller, code="SPRING", percent=10)
    with override_settings(MARKETPLACE={"API_RATE_LIMIT": "100000/m"}):
        yield create_key(seller, name="schemathesis", scope="write").token


@pytest.fixture
def connection_kept() -> Any:
    """The WSGI app closes the database connection after each request, as it should in
    production; here the connection holds the test's transaction (as Django's test
    client arranges it too)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_as_documented(seller_token: str, connection_kept: None
                                               ) -> None:
    """Each operation in turn (schemathesis' own pytest loader needs an older pytest):
    a failure names the operation and the request that broke it."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {seller_token}"}
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        try:
            answers_as_documented()
        except Exception as exc:  # collect them all, then fail once
            failures.append(f"{operation.label}: {exc}")

    assert len(operations) >= 20
    assert failures == []
