"""schemathesis against the whole API v1 with this plugin's operations
(:mod:`marketplace_core.testing.api_schema`): no 5xx, documented statuses and bodies,
for the public license API and the seller's ``/api/v1/license-keys`` alike."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace_core.api_keys.services import create_key
from marketplace_core.testing.api_schema import assert_api_answers_as_documented

pytestmark = pytest.mark.django_db


def test_the_license_operations_answer_as_documented(seller: Any, license_key: Any) -> None:
    checked = assert_api_answers_as_documented(create_key(seller, name="s", scope="write").token)

    assert {"POST /api/v1/licenses/activate", "POST /api/v1/licenses/validate",
            "POST /api/v1/licenses/deactivate", "GET /api/v1/license-keys",
            "GET /api/v1/license-keys/{key_id}", "POST /api/v1/license-keys/{key_id}/disable",
            "DELETE /api/v1/license-keys/{key_id}/activations/{activation_id}"} <= set(checked)
