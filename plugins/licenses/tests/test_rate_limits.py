"""The license API counts each request against its client address and against
the key it names; past either limit: 429 with ``Retry-After``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LicenseApi

# The limits count in fixed windows: a loaded machine must not run one test across two.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]


@pytest.fixture
def tight_limits(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "licenses": {
        **settings.MARKETPLACE["licenses"], "ADDRESS_RATE_LIMIT": "5/1m",
        "KEY_RATE_LIMIT": "3/1m"}}


def _wrong(n: int) -> str:
    return f"AAAAAA-BBBBBB-CCCCCC-DDDDDD-EEEEEE-FFFF{chr(ord('A') + n)}A"


def test_one_address_guessing_keys_is_stopped(tight_limits, license_key):
    guesser = LicenseApi("198.51.100.9")
    answers = [guesser.post("validate", license_key=_wrong(n)) for n in range(6)]
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    refused = answers[-1]
    assert refused.json() == {"valid": False, "error": "Too many requests: try again later."}
    assert 1 <= int(refused["Retry-After"]) <= 60
    # even the right key, from that address, until the window ends
    assert guesser.post("validate", license_key=license_key.key).status_code == 429
    # another address is not affected
    assert LicenseApi("198.51.100.10").post(
        "validate", license_key=license_key.key).status_code == 200


def test_one_key_tried_from_many_addresses_is_stopped(tight_limits, license_key):
    answers = [LicenseApi(f"192.0.2.{n}").post("validate", license_key=license_key.key)
               for n in range(1, 5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    # the same key typed differently is the same key
    loose = license_key.key.lower()
    assert LicenseApi("192.0.2.99").post("validate", license_key=loose).status_code == 429


def test_activate_and_deactivate_count_too(tight_limits, license_key):
    client = LicenseApi("198.51.100.20")
    statuses = [client.post("activate", license_key=license_key.key,
                            instance_name=f"PC {n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
