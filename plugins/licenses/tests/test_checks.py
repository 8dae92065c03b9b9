"""Each wrong setting has its own check id, naming the setting."""

from __future__ import annotations

from typing import Any

import pytest
from marketplace_licenses.checks import check_settings


def _ids(settings: Any, options: Any) -> list[str]:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "licenses": options}
    return [message.id for message in check_settings()]


def test_good_settings_pass(settings):
    assert _ids(settings, {"KEY_SECRET": "x" * 40, "ADDRESS_RATE_LIMIT": "10/1m",
                           "KEY_RATE_LIMIT": "5/1m", "PAGE_SIZE": 20}) == []


@pytest.mark.parametrize(("options", "check_id"), [
    ("not a dict", "licenses.E001"),
    ({}, "licenses.W001"),
    ({"KEY_SECRET": "short"}, "licenses.E002"),
    ({"KEY_SECRET": 12345}, "licenses.E002"),
])
def test_secret_and_shape(settings, options, check_id):
    assert check_id in _ids(settings, options)


@pytest.mark.parametrize(("option", "check_id"), [
    ("ADDRESS_RATE_LIMIT", "licenses.E003"),
    ("KEY_RATE_LIMIT", "licenses.E004"),
])
def test_rates(settings, option, check_id):
    ids = _ids(settings, {"KEY_SECRET": "x" * 40, option: "lots"})
    assert ids == [check_id]


def test_page_size(settings):
    assert _ids(settings, {"KEY_SECRET": "x" * 40, "PAGE_SIZE": 0}) == ["licenses.E005"]


def test_the_messages_name_the_setting(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "licenses": {"KEY_SECRET": "short"}}
    (message,) = check_settings()
    assert "MARKETPLACE['licenses']['KEY_SECRET']" in message.msg
