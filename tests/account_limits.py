"""Shared pieces of the account tests: a clean slate for limits and cooldowns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

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
