"""Version keys: how every lookup knows whether this process's copy of a link is current.

Each slug has a *version key* in the shared cache; writers give it a new value
(:meth:`VersionStore.bump`) and readers use their in-process copy of a link only
while the version it was loaded under is still the current one. Every lookup
reads the version from the shared cache (one round trip), so a change
acknowledged to its writer is seen by the next lookup in every process, on any
network and under any load. The store is chosen from the default cache
(:func:`store`):

- :class:`RedisVersions` when the default cache is Django's ``RedisCache``:
  one persistent redis-py connection per process, built from the cache's
  ``LOCATION`` (first server) and ``OPTIONS``, sending plain ``GET``/``SET``.
  Django's ``RedisCache`` builds a redis-py client for every operation, which
  costs more than the round trip itself on the redirect path.
- :class:`CacheVersions` for any other cache (local memory in development,
  where that cache is the only one; other backends): the version is read
  through Django's default cache.

Errors (Redis unreachable) are raised to the caller:
:mod:`marketplace_shorturl.linkcache` then answers from the database. A lost
connection is reconnected by the next command; nothing is remembered across
commands, so nothing can be stale after a reconnect.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

#: The ``CLIENT SETNAME`` of the version connections (visible in ``CLIENT LIST``).
CLIENT_NAME = "shorturl-versions"
_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
_TOKEN = re.compile(r"[0-9A-Za-z_-]{1,64}")
# Options of Django's RedisCache that are not redis-py connection options.
_NOT_CONNECTION_OPTIONS = ("serializer", "pool_class", "parser_class")


class VersionStore(Protocol):
    """Where link versions live. Names are cache keys before Django's ``make_key``."""

    def get(self, name: str) -> str | None:
        """The current version, ``None`` if there is none."""
        ...

    def ensure(self, name: str, version: str, timeout: int) -> str:
        """Set ``version`` unless there is one already; return the current version."""
        ...

    def bump(self, name: str, version: str, timeout: int) -> None:
        """Replace the version: every process's next :meth:`get` returns ``version``."""
        ...

    def incr_within(self, name: str, seed: int, limit: int) -> bool:
        """Add one to counter ``name`` (starting from ``seed`` when it is missing, no
        expiry) unless it has reached ``limit``; return whether it was added. Atomic
        where the cache's ``incr`` is (used by :mod:`marketplace_shorturl.visits`)."""
        ...

    def close(self) -> None:
        """Release connections (the store is not used afterwards)."""
        ...


class CacheVersions:
    """Versions read and written through Django's default cache."""

    def get(self, name: str) -> str | None:
        value = cache.get(name)
        return None if value is None else str(value)

    def ensure(self, name: str, version: str, timeout: int) -> str:
        cache.add(name, version, timeout=timeout)
        current = cache.get(name)
        return version if current is None else str(current)

    def bump(self, name: str, version: str, timeout: int) -> None:
        cache.set(name, version, timeout=timeout)

    def incr_within(self, name: str, seed: int, limit: int) -> bool:
        cache.add(name, seed, timeout=None)
        if int(cache.incr(name)) <= limit:
            return True
        cache.decr(name)  # refused: the counter counts what was admitted only
        return False

    def close(self) -> None:
        pass


class RedisVersions:
    """Versions in Redis through one persistent connection per process.

    The connection is used under a lock, so it is safe with threaded servers
    (a lookup holds the lock for one round trip). Values are stored as plain
    ASCII strings under the key Django's cache would use (``KEY_PREFIX``,
    ``VERSION``), and only this class reads or writes them.
    """

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        import redis

        self._connection_error: type[Exception] = redis.ConnectionError
        pool = redis.ConnectionPool.from_url(url, client_name=CLIENT_NAME, **options)
        self._conn: Any = pool.make_connection()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _command(self, *args: Any) -> Any:
        """Send one command and read its answer, reconnecting once if the connection
        was lost since its last use (every command sent here is safe to repeat)."""
        with self._lock:
            try:
                self._conn.send_command(*args)
                return self._conn.read_response()
            except self._connection_error:
                self._conn.disconnect()
                self._conn.send_command(*args)
                return self._conn.read_response()

    def get(self, name: str) -> str | None:
        value = self._command("GET", cache.make_key(name))
        return None if value is None else _token(value)

    def ensure(self, name: str, version: str, timeout: int) -> str:
        key = cache.make_key(name)
        self._command("SET", key, version, "EX", timeout, "NX")
        value = self._command("GET", key)
        return version if value is None else _token(value)

    def bump(self, name: str, version: str, timeout: int) -> None:
        self._command("SET", cache.make_key(name), version, "EX", timeout)

    def incr_within(self, name: str, seed: int, limit: int) -> bool:
        # One round trip, atomic in Redis. The value is a plain integer, as Django's
        # RedisCache stores ints, so cache.get() reads it. Repeated after a lost
        # connection (see _command) it may use one visit too many: never one too few.
        return bool(self._command("EVAL", _INCR_WITHIN, 1, cache.make_key(name), seed, limit))

    def close(self) -> None:
        with self._lock:
            if os.getpid() == self._pid:  # never shut down a socket a parent still uses
                self._conn.disconnect()


#: KEYS[1]: the counter; ARGV: seed, limit. 1 if one was added, else 0.
_INCR_WITHIN = """
local used = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if used >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], used + 1)
return 1
"""


def _token(raw: bytes | str) -> str:
    """A stored version as text safe in cache keys.

    Versions this module writes are short ASCII tokens and come back as they are;
    anything else (a value written through Django's cache, pickled, by an older
    version of the plugin during a rolling deploy) is used by its hex digits.
    """
    data = raw if isinstance(raw, bytes) else raw.encode()
    text = data.decode("ascii", "replace")
    return text if _TOKEN.fullmatch(text) else "x" + data.hex()


def _redis_location() -> tuple[str, dict[str, Any]] | None:
    """The primary server and connection options of a Django ``RedisCache`` default cache."""
    from django.core.cache.backends.redis import RedisCache

    config = settings.CACHES.get("default", {})
    backend = config.get("BACKEND", "")
    try:
        is_redis = backend == _REDIS_BACKEND or issubclass(import_string(backend), RedisCache)
    except ImportError:
        return None
    if not is_redis:
        return None
    location = config.get("LOCATION", "")
    servers = re.split("[;,]", location) if isinstance(location, str) else list(location)
    options = {k: v for k, v in config.get("OPTIONS", {}).items()
               if k not in _NOT_CONNECTION_OPTIONS}
    return servers[0].strip(), options


_store: VersionStore | None = None
_store_lock = threading.Lock()


def store() -> VersionStore:
    """This process's version store, built on first use from ``CACHES["default"]``."""
    global _store
    current = _store
    if current is not None:
        return current
    with _store_lock:
        if _store is None:
            location = _redis_location()
            _store = CacheVersions() if location is None else RedisVersions(*location)
        return _store


def reset() -> None:
    """Drop the store (closing its connection); the next :func:`store` builds a new one."""
    global _store
    with _store_lock:
        old, _store = _store, None
    if old is not None:
        old.close()


@receiver(setting_changed, dispatch_uid="shorturl.versions.reset")
def _settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "CACHES":
        reset()


def _forget_in_child() -> None:
    # The parent's socket must not be shared (answers would interleave) nor shut down.
    global _store, _store_lock
    _store, _store_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
