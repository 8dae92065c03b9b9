"""schemathesis against the whole API v1 with this plugin's ``/api/v1/short-links``
(:mod:`marketplace_core.testing.api_schema`): no 5xx, documented statuses and bodies."""

from __future__ import annotations

from typing import Any

from marketplace_core.api_keys.services import create_key
from marketplace_core.testing.api_schema import assert_api_answers_as_documented


def test_the_short_link_operations_answer_as_documented(seller: Any, make_link: Any) -> None:
    make_link(slug="spring")

    checked = assert_api_answers_as_documented(create_key(seller, name="s", scope="write").token)

    assert {"GET /api/v1/short-links", "POST /api/v1/short-links",
            "PATCH /api/v1/short-links/{link_id}",
            "DELETE /api/v1/short-links/{link_id}"} <= set(checked)
