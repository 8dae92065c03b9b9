"""Fixtures for the short URL tests: a clean cache per test, the test Redis as the
default cache, sellers, links, servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings

from marketplace_core.celery_app import create_celery_app
from marketplace_core.testing import factories

create_celery_app("tests")

# The property tests assert behaviour, never speed: no per-example deadline and no
# "too slow" health check, which a loaded machine (stress-ng) trips at random.
settings.register_profile("shorturl", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shorturl")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test starts with empty caches and no buffered clicks in this process."""
    from marketplace_shorturl.clicks import BUFFERS
    from marketplace_shorturl.linkcache import links

    cache.clear()
    links.clear_local()
    for held in BUFFERS:
        held.reset()  # drop counts a previous test left unpushed
    yield
    for held in BUFFERS:
        held.stop()


@pytest.fixture
def redis_cache(redis_server: Any, db: None) -> Iterator[str]:
    """This process's default cache is the test Redis (the ``redis_server`` fixture,
    which server processes started by :mod:`tests.servers` share); yields its URL.

    The cache and the links remembered in process memory are emptied before and after.
    """
    from marketplace_shorturl.linkcache import links

    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": redis_server.url}}
    with override_settings(CACHES=caches):
        cache.clear()
        links.clear_local()
        yield redis_server.url
        cache.clear()
    links.clear_local()


@pytest.fixture
def seller(db: None) -> Any:
    return factories.make_seller()


@pytest.fixture
def seller_client(seller: Any) -> Client:
    client = Client()
    client.force_login(seller)
    return client


@pytest.fixture
def make_link(seller: Any) -> Callable[..., Any]:
    """Create a link through the service (``slug``/``destination``/... as keywords)."""
    from marketplace_shorturl.services import LinkData, create_link

    def make(owner: Any = None, **fields: Any) -> Any:
        fields.setdefault("destination", "https://example.com/landing")
        return create_link(owner or seller, LinkData(**fields))

    return make
