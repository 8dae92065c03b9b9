"""The default cache for account limits, with a process-local stand-in while it is down.

Rate limits, email cooldowns and the generations that reset login limits live in
Django's default cache (Redis in production). When that cache cannot be reached,
a request must neither fail with a 5xx nor go unlimited, so each operation then
runs against a private ``LocMemCache`` of this process: limits still hold, per
process, until the shared cache answers again.

- The outage is logged as a warning at most once per :data:`WARNING_INTERVAL`
  seconds per process, and the recovery once.
- After a failure the shared cache is left alone for :data:`RETRY_INTERVAL`
  seconds: a hung server costs one socket timeout per interval, not one per
  request. Then it is tried again, and used as soon as it answers; nothing needs
  a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger("marketplace_core.accounts")

#: What a cache backend raises when its server cannot be reached (Redis, or a socket).
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)

#: Seconds between two attempts to reach the shared cache while it is down.
RETRY_INTERVAL = 2.0
#: Seconds between two warnings about the same outage.
WARNING_INTERVAL = 60.0

T = TypeVar("T")


class FallbackCache:
    """Runs operations on the cache ``alias``, or on a local cache while it is down."""

    def __init__(self, alias: str = "default", *, consequence: str = (
            "account rate limits and email cooldowns count in this process only"),
                 log: logging.Logger = logger) -> None:
        self.alias = alias
        self.log = log
        #: What the outage warning says happens meanwhile.
        self.consequence = consequence
        self.local = LocMemCache(f"marketplace-fallback-{alias}",
                                 {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._lock = threading.Lock()
        self._retry_at = 0.0  # monotonic; 0 while the shared cache answers
        self._warned_at = -WARNING_INTERVAL

    @property
    def degraded(self) -> bool:
        """Whether the last attempt to reach the shared cache failed."""
        return self._retry_at > 0

    def run(self, operation: Callable[[BaseCache], T],
            local: Callable[[BaseCache], T] | None = None) -> T:
        """``operation(shared cache)``, or, if the shared cache is down or fails
        now, ``local(local cache)`` (``local`` defaults to ``operation``). Both
        may run for one call, so they should only read, count or overwrite."""
        now = time.monotonic()
        if now >= self._retry_at:
            try:
                result = operation(caches[self.alias])
            except CACHE_ERRORS as error:
                self._failed(now, error)
            else:
                if self._retry_at:
                    self._recovered()
                return result
        return (local or operation)(self.local)

    def reset(self) -> None:
        """Forget the local counts and any outage (for tests)."""
        with self._lock:
            self._retry_at = 0.0
            self._warned_at = -WARNING_INTERVAL
        self.local.clear()

    def _failed(self, now: float, error: Exception) -> None:
        with self._lock:
            self._retry_at = now + RETRY_INTERVAL
            if now - self._warned_at < WARNING_INTERVAL:
                return
            self._warned_at = now
        self.log.warning(
            "The %r cache cannot be reached (%s: %s); %s until it answers again.",
            self.alias, type(error).__name__, error, self.consequence,
        )

    def _recovered(self) -> None:
        with self._lock:
            if not self._retry_at:
                return
            self._retry_at = 0.0
            self._warned_at = -WARNING_INTERVAL
        self.log.warning("The %r cache answers again.", self.alias)


#: The one instance for the default cache.
default_cache = FallbackCache()
