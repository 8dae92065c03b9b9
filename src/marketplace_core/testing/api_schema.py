"""The API v1 schema check: schemathesis against the whole ``/api/v1/openapi.json``.

For core's suite and plugins' (a plugin that adds a router runs it with its plugin
enabled)::

    from marketplace_core.testing.api_schema import assert_api_answers_as_documented

    def test_the_api_answers_as_documented(db):
        seller = make_seller()
        ...  # some of the seller's objects, so reads find something
        token = create_key(seller, name="schema", scope="write").token
        assert_api_answers_as_documented(token)

Every operation gets ``examples`` generated requests (valid and odd input) through
the WSGI app, with the key; each answer must be no server error, have a status the
schema documents and a body that matches the schema of that status. Needs the
``testing`` extra (``schemathesis``) and a database the test may write to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings

#: Generated requests per operation: enough to find 5xx on odd input, while a whole
#: run stays well under a minute on a loaded machine.
EXAMPLES = 12


@contextmanager
def connection_kept() -> Iterator[None]:
    """The WSGI app closes the database connection after each request, as it should in
    production; here the connection holds the test's transaction (Django's test client
    arranges the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def assert_api_answers_as_documented(token: str, *, examples: int = EXAMPLES) -> list[str]:
    """Run every operation of ``/api/v1/openapi.json`` ``examples`` times with ``token``
    (a write key); fail naming each operation that broke, with the request. Returns
    the labels of the operations checked."""
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.result import Err
    from schemathesis.specs.openapi.checks import (
        response_schema_conformance,
        status_code_conformance,
    )

    headers = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    failures: list[str] = []
    labels: list[str] = []
    # The schema test makes many requests with one key: lift the per-key rate.
    with override_settings(MARKETPLACE={**_marketplace(), "API_RATE_LIMIT": "100000/m"}), \
            connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        for result in schema.get_all_operations():
            if isinstance(result, Err):  # the document itself is wrong somewhere
                failures.append(f"invalid schema: {result.err()}")
                continue
            operation = result.ok()
            labels.append(operation.label)

            @given(case=operation.as_strategy())
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def answers_as_documented(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=checks)

            try:
                answers_as_documented()
            except Exception as exc:  # every operation's failure, then one assertion
                failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)
    return labels


def _marketplace() -> dict[str, Any]:
    from django.conf import settings as django_settings

    return dict(getattr(django_settings, "MARKETPLACE", {}))
