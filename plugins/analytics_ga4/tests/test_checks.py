"""System checks: a missing property id, unreadable credentials, a malformed measurement id."""

from __future__ import annotations

import json

import pytest
from marketplace_analytics_ga4.checks import check_settings

from tests.conftest import configure


def ids(settings, **options) -> list[str]:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "analytics_ga4": options}
    return sorted(message.id for message in check_settings())


def test_a_complete_configuration_passes(fake_ga4, settings):
    assert check_settings() == []


def test_a_missing_property_id_is_reported(settings):
    assert ids(settings) == ["analytics_ga4.W001"]


def test_a_measurement_id_as_property_id_is_refused(fake_ga4, settings):
    assert ids(settings, **fake_ga4.settings(PROPERTY_ID="G-ABC123DEF4")) == ["analytics_ga4.E001"]


def test_a_property_without_credentials_is_an_error(settings):
    assert ids(settings, PROPERTY_ID="123456") == ["analytics_ga4.E002"]


@pytest.mark.parametrize("credentials", [
    "/nonexistent/key.json",
    '{"type": "service_account"',
    json.dumps({"type": "authorized_user", "client_id": "x"}),
    json.dumps({"type": "service_account", "client_email": "a@b", "private_key": "not a key",
                "token_uri": "https://oauth2.googleapis.com/token"}),
], ids=["missing-file", "bad-json", "not-a-service-account", "bad-private-key"])
def test_unreadable_credentials_are_reported(settings, credentials):
    [message] = [m for m in (configure(settings, PROPERTY_ID="123456", CREDENTIALS=credentials)
                             or check_settings())]
    assert message.id == "analytics_ga4.E003"
    assert "CREDENTIALS" in message.msg


def test_credentials_from_a_key_file_path(fake_ga4, settings, tmp_path):
    key = tmp_path / "key.json"
    key.write_text(fake_ga4.service_account_json())
    configure(settings, CREDENTIALS=str(key))
    assert check_settings() == []


@pytest.mark.parametrize("measurement_id", ["UA-12345-1", "G-", "g-abc123def4", "G-ABC 123"])
def test_a_malformed_measurement_id_is_reported(fake_ga4, settings, measurement_id):
    configure(settings, MEASUREMENT_ID=measurement_id)
    assert [m.id for m in check_settings()] == ["analytics_ga4.E004"]


def test_a_measurement_id_without_api_secret_warns(settings):
    assert ids(settings, MEASUREMENT_ID="G-ABC123DEF4") == ["analytics_ga4.W001",
                                                              "analytics_ga4.W002"]


def test_bad_numbers_and_urls_are_reported(fake_ga4, settings):
    configure(settings, REQUEST_TIMEOUT=0, MP_ENDPOINT="ftp://example.com")
    assert sorted(m.id for m in check_settings()) == ["analytics_ga4.E005", "analytics_ga4.E006"]


def test_options_that_are_not_a_dict(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "analytics_ga4": "G-ABC123DEF4"}
    assert [m.id for m in check_settings()] == ["analytics_ga4.E007"]
