"""Whether maintenance mode is on.

On when ``MARKETPLACE["MAINTENANCE_MODE"]`` is true, or when switched on at
run time with ``manage.py maintenance on``, which writes a flag into the
default cache. With several web processes the cache must be shared (Redis):
a local-memory cache only reaches the process that wrote it. Each process
remembers the run-time flag for :data:`RUNTIME_FLAG_TTL` seconds, so switching
it reaches every process within that time while a request costs no cache
round trip (a Redis read is several hundred microseconds per request).
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

from marketplace_core.conf import conf

CACHE_KEY = "marketplace_core:maintenance"

#: Seconds a process keeps the run-time flag before reading the cache again.
RUNTIME_FLAG_TTL = 1.0

logger = logging.getLogger("marketplace_core.maintenance")

# (monotonic deadline, flag); replaced whole, so threads never see half an update.
_remembered: tuple[float, bool] = (0.0, False)


def is_enabled() -> bool:
    """True when the setting or the run-time flag says so. Never queries the database.

    If the cache cannot be read (Redis down), only the setting counts: an
    unreachable cache must not turn every page into a server error. The
    health endpoint reports the cache failure.
    """
    global _remembered
    if conf.MAINTENANCE_MODE:
        return True
    now = time.monotonic()
    deadline, flag = _remembered
    if now < deadline:
        return flag
    try:
        flag = bool(cache.get(CACHE_KEY))
    except Exception:
        logger.warning("Cannot read the maintenance flag from the cache; assuming off.",
                       exc_info=True)
        flag = False
    _remembered = (now + RUNTIME_FLAG_TTL, flag)
    return flag


def set_runtime_flag(enabled: bool) -> None:
    """Switch the run-time flag (kept until switched off; no expiry).

    This process sees the change at once; others within :data:`RUNTIME_FLAG_TTL`.
    """
    global _remembered
    if enabled:
        cache.set(CACHE_KEY, True, timeout=None)
    else:
        cache.delete(CACHE_KEY)
    _remembered = (0.0, False)


def forget_runtime_flag() -> None:
    """Read the cache again on the next check (after the cache was cleared or replaced)."""
    global _remembered
    _remembered = (0.0, False)
