"""Whether maintenance mode is on.

On when ``MARKETPLACE["MAINTENANCE_MODE"]`` is true, or when switched on at
run time with ``manage.py maintenance on``, which writes a flag into the
default cache. With several web processes the cache must be shared (Redis):
a local-memory cache only reaches the process that wrote it.
"""

from __future__ import annotations

from django.core.cache import cache

from marketplace_core.conf import conf

CACHE_KEY = "marketplace_core:maintenance"


def is_enabled() -> bool:
    """True when the setting or the run-time flag says so. Never queries the database."""
    return conf.MAINTENANCE_MODE or bool(cache.get(CACHE_KEY))


def set_runtime_flag(enabled: bool) -> None:
    """Switch the run-time flag (kept until switched off; no expiry)."""
    if enabled:
        cache.set(CACHE_KEY, True, timeout=None)
    else:
        cache.delete(CACHE_KEY)
