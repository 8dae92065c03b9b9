"""One test per system-check id of the Dodo Payments plugin, run like ``manage.py check``."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test.utils import override_settings

# Django's model checks (run by run_checks) may ask the database about its features.
pytestmark = pytest.mark.django_db


def secret() -> str:
    """A well-formed Standard Webhooks secret, as the Dodo dashboard shows it."""
    return "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


RIGHT = {
    "API_KEY": "dodo-test-api-key",
    "WEBHOOK_SECRETS": [secret()],
    "ENVIRONMENT": "test_mode",
}


def ids(debug: bool = False, **options: Any) -> set[str]:
    """Check ids with ``MARKETPLACE["payments_dodo"]`` set to :data:`RIGHT` plus ``options``."""
    marketplace = {"PLUGINS": ["payments_dodo"], "payments_dodo": {**RIGHT, **options}}
    with override_settings(DEBUG=debug, MARKETPLACE=marketplace):
        return {message.id for message in run_checks()}


def test_right_configuration_passes_every_plugin_check() -> None:
    found = ids()
    assert not {i for i in found if i.startswith("payments_dodo.")}
    assert "marketplace_core.W003" not in found  # the plugin's options key is known


def test_e001_api_key_is_required() -> None:
    assert "payments_dodo.E001" in ids(API_KEY="")
    assert "payments_dodo.E001" in ids(API_KEY=None)
    assert "payments_dodo.E001" not in ids(API_KEY="dodo-test-api-key")


def test_e001_reported_for_the_suite_settings_without_options() -> None:
    """The plugin is enabled but has no options at all: every required one is reported."""
    with override_settings(MARKETPLACE={"PLUGINS": ["payments_dodo"]}):
        found = {message.id for message in run_checks()}
    assert {"payments_dodo.E001", "payments_dodo.E002"} <= found


@pytest.mark.parametrize(
    "secrets",
    [
        [],
        "",
        ["sk_live_not_a_webhook_secret"],
        ["whsec_"],
        ["whsec_***"],
        [secret(), "whsec_"],  # one bad secret among good ones
    ],
    ids=["none", "empty-string", "not-whsec", "empty-whsec", "not-base64", "one-bad-of-two"],
)
def test_e002_webhook_secrets_must_be_whsec(secrets: Any) -> None:
    assert "payments_dodo.E002" in ids(WEBHOOK_SECRETS=secrets)


@pytest.mark.parametrize(
    "secrets",
    [
        [secret()],
        secret(),  # a single string is accepted
        [secret(), "whsec_" + base64.b64encode(b"the next secret while rotating").decode()],
        f" {secret()} ",  # whitespace from an environment variable
    ],
    ids=["one", "string", "rotating-two", "padded"],
)
def test_e002_absent_for_well_formed_secrets(secrets: Any) -> None:
    assert "payments_dodo.E002" not in ids(WEBHOOK_SECRETS=secrets)


def test_e003_environment_must_be_test_or_live_mode() -> None:
    assert "payments_dodo.E003" in ids(ENVIRONMENT="production")
    assert "payments_dodo.E003" in ids(ENVIRONMENT="TEST_MODE")
    assert "payments_dodo.E003" not in ids(ENVIRONMENT="test_mode")
    assert "payments_dodo.E003" not in ids(ENVIRONMENT="live_mode")


def test_e004_live_mode_needs_debug_off() -> None:
    assert "payments_dodo.E004" in ids(debug=True, ENVIRONMENT="live_mode")
    assert "payments_dodo.E004" not in ids(debug=False, ENVIRONMENT="live_mode")
    assert "payments_dodo.E004" not in ids(debug=True, ENVIRONMENT="test_mode")


@pytest.mark.parametrize("base_url", ["127.0.0.1:8000", "ftp://dodo.example.com", "http://",
                                      "not a url"])
def test_e005_base_url_must_be_an_http_url(base_url: str) -> None:
    assert "payments_dodo.E005" in ids(BASE_URL=base_url)


@pytest.mark.parametrize("base_url", [None, "", "http://127.0.0.1:8123",
                                      "https://test.dodopayments.com"])
def test_e005_absent_without_a_base_url_or_with_an_http_one(base_url: str | None) -> None:
    assert "payments_dodo.E005" not in ids(BASE_URL=base_url)


@pytest.mark.parametrize("options", ["dodo-test-api-key", ["dodo-test-api-key"], None],
                         ids=["a-string", "a-list", "none"])
def test_e006_options_must_be_a_dict(options: Any) -> None:
    """Not "API_KEY is not set" for a key that was given in the wrong shape."""
    marketplace = {"PLUGINS": ["payments_dodo"], "payments_dodo": options}
    with override_settings(MARKETPLACE=marketplace):
        messages = [m for m in run_checks() if m.id.startswith("payments_dodo.")]
    assert [m.id for m in messages] == ["payments_dodo.E006"]
    assert "must be a dict" in messages[0].msg


def _e002_hint(**core: str) -> str:
    marketplace = {"PLUGINS": ["payments_dodo"], **core,
                   "payments_dodo": {**RIGHT, "WEBHOOK_SECRETS": []}}
    with override_settings(MARKETPLACE=marketplace):
        [error] = [m for m in run_checks() if m.id == "payments_dodo.E002"]
    return str(error.hint)


def test_e002_names_the_webhook_url_where_the_shop_is_mounted(settings: Any) -> None:
    assert "add the webhook https://<your site>/payments/webhooks/dodo/ " in _e002_hint()
    settings.ROOT_URLCONF = "tests.urls_shop"
    assert "add the webhook https://<your site>/shop/payments/webhooks/dodo/ " in _e002_hint()
    assert ("add the webhook https://example.com/shop/payments/webhooks/dodo/ "
            in _e002_hint(SITE_URL="https://example.com"))
