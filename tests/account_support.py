"""Shared pieces of the account tests: a clean slate for limits and cooldowns; who is logged in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from marketplace_core.accounts.cache_fallback import default_cache


@pytest.fixture
def fresh_limits() -> Iterator[None]:
    """Rate limits and cooldowns start at zero: the shared cache is emptied and the
    process-local stand-in forgets its counts and any outage."""
    cache.clear()
    default_cache.reset()
    yield
    cache.clear()
    default_cache.reset()


def logged_in_as(client: Client) -> int | None:
    """The id of the user the client's session is logged in as, if any."""
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None
