"""Fixtures of the Dodo plugin's tests: a fake Dodo server the real SDK talks to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marketplace_payments_dodo.testing import FakeDodo

from marketplace_core.celery_app import create_celery_app

create_celery_app("tests")

#: Dodo's OpenAPI description: ``../shared/dodo/openapi.json`` next to the repository (as in
#: CI), or wherever ``DODO_OPENAPI_JSON`` says. The contract test needs it to say anything.
OPENAPI_JSON = Path(
    os.environ.get("DODO_OPENAPI_JSON")
    or Path(__file__).resolve().parents[3].parent / "shared" / "dodo" / "openapi.json"
)
if not OPENAPI_JSON.is_file() and os.environ.get("CI"):
    # CI always has ../shared beside the checkout: a missing description is a
    # broken setup, never a reason to drop the contract test silently.
    raise pytest.UsageError(f"Dodo's OpenAPI description is missing: {OPENAPI_JSON}")
collect_ignore = [] if OPENAPI_JSON.is_file() else ["test_openapi_contract.py"]


def pytest_report_header() -> str:
    state = "validating the fake against it" if OPENAPI_JSON.is_file() else (
        "absent: the OpenAPI contract test is not collected")
    return f"Dodo OpenAPI description: {OPENAPI_JSON} ({state})"


@pytest.fixture(scope="session")
def fake_dodo_server() -> Iterator[FakeDodo]:
    with FakeDodo() as fake:
        yield fake


@pytest.fixture(autouse=True)
def dodo(fake_dodo_server: FakeDodo, settings: Any) -> Iterator[FakeDodo]:
    """The fake Dodo, fresh for each test, with the plugin configured to use it."""
    from django.core.cache import cache

    fake_dodo_server.reset()
    cache.clear()  # core caches Dodo's country list
    settings.MARKETPLACE = {
        **settings.MARKETPLACE,
        "PAYMENT_PROVIDER": "dodo",
        "payments_dodo": {
            "API_KEY": fake_dodo_server.api_key,
            "WEBHOOK_SECRETS": [fake_dodo_server.webhook_secret],
            "ENVIRONMENT": "test_mode",
            "BASE_URL": fake_dodo_server.url,
        },
    }
    yield fake_dodo_server
    fake_dodo_server.wait_for_webhooks()


def configure_secrets(settings: Any, *secrets: str) -> None:
    """Set ``WEBHOOK_SECRETS`` (rotation tests)."""
    options = {**settings.MARKETPLACE["payments_dodo"], "WEBHOOK_SECRETS": list(secrets)}
    settings.MARKETPLACE = {**settings.MARKETPLACE, "payments_dodo": options}


@pytest.fixture
def client_factory() -> Any:
    """Test clients logged in as other users."""
    from django.test import Client

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
