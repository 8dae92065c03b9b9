"""Fixtures of the GA4 plugin's tests: the fake GA4, spoken to over HTTP by Google's client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from marketplace_analytics_ga4.data_api import _client
from marketplace_analytics_ga4.testing import FakeGA4
from marketplace_analytics_ga4.traffic import wait_for_background_fetches

from marketplace_core.celery_app import create_celery_app

create_celery_app("tests")


@pytest.fixture(scope="session")
def fake_ga4_server() -> Iterator[FakeGA4]:
    with FakeGA4() as fake:
        yield fake


@pytest.fixture
def fake_ga4(fake_ga4_server: FakeGA4, settings: Any) -> Iterator[FakeGA4]:
    """The fake, emptied, with the plugin configured to use it."""
    fake_ga4_server.reset()
    cache.clear()
    _client.cache_clear()
    # A loaded machine must not turn a test into a timeout test (those set their own).
    configure(settings, **fake_ga4_server.settings(REQUEST_TIMEOUT=30))
    yield fake_ga4_server
    wait_for_background_fetches()  # none may write to the next test's cache
    fake_ga4_server.reset()


def configure(settings: Any, **options: Any) -> None:
    """Change some of the plugin's options for one test."""
    merged = {**settings.MARKETPLACE.get("analytics_ga4", {}), **options}
    settings.MARKETPLACE = {**settings.MARKETPLACE, "analytics_ga4": merged}
