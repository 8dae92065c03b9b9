"""System checks of the outbound webhook settings: E052 (wrong values), W053
(loosened rules with DEBUG off)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

pytestmark = pytest.mark.django_db


def ids_with(**options: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with override_settings(MARKETPLACE={**settings.MARKETPLACE, **options}):
        for message in run_checks():
            found.setdefault(message.id or "", []).append(message.msg)
    return found


def test_the_defaults_pass() -> None:
    found = ids_with()
    assert "marketplace_core.E052" not in found and "marketplace_core.W053" not in found


@pytest.mark.parametrize("options, named", [
    ({"WEBHOOKS_ALLOW_HTTP": "yes"}, "WEBHOOKS_ALLOW_HTTP"),
    ({"WEBHOOKS_ALLOWED_ADDRESSES": "127.0.0.1"}, "WEBHOOKS_ALLOWED_ADDRESSES"),
    ({"WEBHOOKS_ALLOWED_ADDRESSES": ["localhost"]}, "WEBHOOKS_ALLOWED_ADDRESSES"),
    ({"WEBHOOKS_CONNECT_TIMEOUT": 0}, "WEBHOOKS_CONNECT_TIMEOUT"),
    ({"WEBHOOKS_CONNECT_TIMEOUT": 31}, "WEBHOOKS_CONNECT_TIMEOUT"),
    ({"WEBHOOKS_READ_TIMEOUT": "10"}, "WEBHOOKS_READ_TIMEOUT"),
    ({"WEBHOOKS_READ_TIMEOUT": True}, "WEBHOOKS_READ_TIMEOUT"),
])
def test_e050_names_the_wrong_setting(options: dict[str, Any], named: str) -> None:
    [message] = ids_with(**options)["marketplace_core.E052"]
    assert f"MARKETPLACE['{named}']" in message


@pytest.mark.parametrize("options", [
    {"WEBHOOKS_ALLOW_HTTP": True},
    {"WEBHOOKS_ALLOWED_ADDRESSES": ["127.0.0.1"]},
])
def test_w051_loosened_rules_with_debug_off(options: dict[str, Any]) -> None:
    assert "marketplace_core.W053" in ids_with(**options)
    with override_settings(DEBUG=True):
        assert "marketplace_core.W053" not in ids_with(**options)
