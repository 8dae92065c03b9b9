"""Whether maintenance mode is on.

On when ``MARKETPLACE["MAINTENANCE_MODE"]`` is true, or when switched on at
run time with ``manage.py maintenance on``, which writes a flag into the
default cache. With several web processes the cache must be shared (Redis):
a local-memory cache only reaches the process that wrote it.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from marketplace_core.conf import conf

CACHE_KEY = "marketplace_core:maintenance"

logger = logging.getLogger("marketplace_core.maintenance")


def is_enabled() -> bool:
    """True when the setting or the run-time flag says so. Never queries the database.

    If the cache cannot be read (Redis down), only the setting counts: an
    unreachable cache must not turn every page into a server error. The
    health endpoint reports the cache failure.
    """
    if conf.MAINTENANCE_MODE:
        return True
    try:
        return bool(cache.get(CACHE_KEY))
    except Exception:
        logger.warning("Cannot read the maintenance flag from the cache; assuming off.",
                       exc_info=True)
        return False


def set_runtime_flag(enabled: bool) -> None:
    """Switch the run-time flag (kept until switched off; no expiry)."""
    if enabled:
        cache.set(CACHE_KEY, True, timeout=None)
    else:
        cache.delete(CACHE_KEY)
