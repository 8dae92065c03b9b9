"""Version keys: how every lookup knows whether this process's copy of a link is current.

Each slug has a *version key* in the shared cache; writers give it a new value
(:meth:`VersionStore.bump`) and readers use their in-process copy of a link only
while the version it was loaded under is still the current one. This module
answers "what is the current version?" and does so in one of two ways, chosen
from the default cache (:func:`store`):

- :class:`RedisVersions` when the default cache is Django's ``RedisCache``:
  a dedicated redis-py connection per process, built from the cache's
  ``LOCATION`` (first server) and ``OPTIONS``, speaking RESP3 with
  ``CLIENT TRACKING ON`` (Redis 6.0 or later). A version read once is kept in
  process memory; when the key changes (a write from any process, expiry,
  eviction, ``FLUSHDB``) Redis pushes an invalidation message on that
  connection. Before answering from memory, every lookup reads the messages
  already waiting on the socket (a non-blocking ``recv``, a few microseconds),
  so a lookup costs no round trip to Redis. With ``CLIENT_TRACKING`` off it
  reads the version on every lookup instead (one round trip on the same
  persistent connection).
- :class:`CacheVersions` for any other cache (local memory in development,
  where that cache is the only one; other backends): the version is read from
  Django's default cache on every lookup.

Why a change is seen at once, with tracking: Redis writes the invalidation
message to every tracking connection in the same event-loop turn in which it
executes the write, before it executes any later command. Writers bump twice
(once right away, once after their transaction commits — see
:mod:`marketplace_shorturl.signals`) and are answered only after the second
bump has executed, so when a change is acknowledged to anybody, the message
for the first bump has been written to every reader's connection, and the
reader consumes whatever has arrived before its next lookup. On one host
(loopback) that is the whole story. Across a network the message travels on
the reader's own TCP connection: it normally arrives well within a
millisecond, but a lost packet holds it back for a TCP retransmission
(200 ms or more) while the writer's answer may already have reached a user
whose next click lands on that reader. Deployments that need the change seen
by the next redirect whatever the network does set ``CLIENT_TRACKING`` to
``False`` and pay one round trip per redirect.

A reader that loses its connection (Redis restarted, ``CLIENT KILL``) notices
when it reads the socket, forgets everything it remembered and reconnects; a
new connection starts with nothing remembered. A connection that dies without
the socket noticing (a silent network partition) is caught by a ``PING`` at
most every :data:`HEALTH_CHECK_INTERVAL` seconds.

redis-py's own client-side cache (``Redis(protocol=3, cache_config=...)``)
works the same way but refuses servers older than Redis 7.4 and deep-copies
every hit; this module needs only ``CLIENT TRACKING`` and a plain ``dict``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

logger = logging.getLogger("shorturl")

#: Seconds between ``PING`` checks of the tracking connection (only when it is used).
HEALTH_CHECK_INTERVAL = 1.0
#: The ``CLIENT SETNAME`` of the tracking connections (visible in ``CLIENT LIST``).
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

    def forget(self) -> None:
        """Drop what this process remembers, as in a fresh process (the cache is untouched)."""
        ...

    def close(self) -> None:
        """Release connections (the store is not used afterwards)."""
        ...


class CacheVersions:
    """Versions read from Django's default cache on every lookup."""

    def get(self, name: str) -> str | None:
        value = cache.get(name)
        return None if value is None else str(value)

    def ensure(self, name: str, version: str, timeout: int) -> str:
        cache.add(name, version, timeout=timeout)
        current = cache.get(name)
        return version if current is None else str(current)

    def bump(self, name: str, version: str, timeout: int) -> None:
        cache.set(name, version, timeout=timeout)

    def forget(self) -> None:
        pass

    def close(self) -> None:
        pass


class RedisVersions:
    """Versions in Redis through one persistent connection per process.

    With ``tracking`` (the default) versions are remembered in this process until
    Redis says they changed; without it every :meth:`get` reads the version.
    The connection is used under a lock, so it is safe with threaded servers; a
    lookup that has to ask Redis holds the lock for that round trip. Values are
    stored as plain ASCII strings under the key Django's cache would use
    (``KEY_PREFIX``, ``VERSION``), and only this class reads or writes them.
    """

    def __init__(self, url: str, options: dict[str, Any], *, max_size: int,
                 tracking: bool = True) -> None:
        import redis

        self.tracking = tracking
        self._redis_error: type[Exception] = redis.RedisError
        self._connection_error: type[Exception] = redis.ConnectionError
        pool = redis.ConnectionPool.from_url(url, protocol=3, **options)
        self._conn: Any = pool.make_connection()
        self._conn.register_connect_callback(self._on_connect)
        self._known: dict[str, str] = {}
        self._max_size = max_size
        self._lock = threading.Lock()
        self._next_ping = 0.0
        self._pid = os.getpid()

    # -- redis-py callbacks (called with self._lock held, from our own I/O) ----------

    def _on_connect(self, conn: Any) -> None:
        """A new server session tracks nothing yet: forget everything, then track."""
        self._known.clear()
        conn.send_command("CLIENT", "SETNAME", CLIENT_NAME)
        conn.read_response()
        if not self.tracking:
            return
        conn.send_command("CLIENT", "TRACKING", "ON")
        if conn.read_response() not in (b"OK", "OK"):
            raise self._redis_error("CLIENT TRACKING ON was refused")
        # The parser's hook for RESP3 "invalidate" pushes (redis-py's own
        # client-side cache registers itself the same way).
        conn._parser.set_invalidation_push_handler(self._on_invalidate)

    def _on_invalidate(self, message: list[Any]) -> None:
        keys = message[1] if len(message) > 1 else None
        if keys is None:  # FLUSHDB / FLUSHALL, or the server's tracking table overflowed
            self._known.clear()
            return
        for key in keys:
            self._known.pop(key.decode() if isinstance(key, bytes) else str(key), None)

    # -- I/O, always under self._lock ------------------------------------------------

    def _command(self, *args: Any) -> Any:
        """Send one command and read its answer, reconnecting once if the connection
        was lost since its last use (every command sent here is safe to repeat)."""
        try:
            self._conn.send_command(*args)
            return self._conn.read_response()
        except self._connection_error:
            self._known.clear()
            self._conn.disconnect()
            self._conn.send_command(*args)
            return self._conn.read_response()

    def _sync(self) -> None:
        """Apply every invalidation that has reached this process; reconnect if needed."""
        try:
            if time.monotonic() >= self._next_ping:
                self._command("PING")  # pushes that arrive first are handled on the way
                self._next_ping = time.monotonic() + HEALTH_CHECK_INTERVAL
            while self._conn.can_read(0):
                self._conn.read_response(push_request=True)
        except self._redis_error:
            # Lost or garbled connection: nothing remembered can be trusted. The next
            # command reconnects (and raises if Redis is really down).
            logger.warning("shorturl: version tracking connection lost; reconnecting",
                           exc_info=True)
            self._known.clear()
            self._conn.disconnect()

    def _remember(self, key: str, value: str) -> None:
        if len(self._known) >= self._max_size:
            self._known.pop(next(iter(self._known)))  # oldest first
        self._known[key] = value

    def _read(self, key: str) -> str | None:
        value = self._command("GET", key)  # a read: with tracking, Redis now tracks key for us
        if value is None:
            return None
        text = _token(value if isinstance(value, bytes) else str(value).encode())
        if self.tracking:
            self._remember(key, text)
        return text

    # -- VersionStore ------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        key = cache.make_key(name)
        with self._lock:
            if not self.tracking:
                return self._read(key)
            self._sync()
            known = self._known.get(key)
            return known if known is not None else self._read(key)

    def ensure(self, name: str, version: str, timeout: int) -> str:
        key = cache.make_key(name)
        with self._lock:
            if self.tracking:
                self._sync()
            self._command("SET", key, version, "EX", timeout, "NX")
            return self._read(key) or version

    def bump(self, name: str, version: str, timeout: int) -> None:
        key = cache.make_key(name)
        with self._lock:
            self._known.pop(key, None)
            self._command("SET", key, version, "EX", timeout)

    def forget(self) -> None:
        with self._lock:
            self._known.clear()

    def close(self) -> None:
        with self._lock:
            self._known.clear()
            if os.getpid() == self._pid:  # never shut down a socket a parent still uses
                self._conn.disconnect()


def _token(raw: bytes) -> str:
    """A stored version as text safe in cache keys.

    Versions this module writes are short ASCII tokens and come back as they are;
    anything else (a value written through Django's cache, pickled, by an older
    version of the plugin during a rolling deploy) is used by its hex digits.
    """
    text = raw.decode("ascii", "replace")
    return text if _TOKEN.fullmatch(text) else "x" + raw.hex()


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
            from marketplace_shorturl.conf import conf

            location = _redis_location()
            _store = (CacheVersions() if location is None
                      else RedisVersions(*location, max_size=conf.LOCAL_CACHE_SIZE,
                                         tracking=conf.CLIENT_TRACKING))
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
    if setting in ("CACHES", "MARKETPLACE"):
        reset()


def _forget_in_child() -> None:
    # The parent's socket must not be read (its pushes are the parent's) nor shut down.
    global _store, _store_lock
    _store, _store_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
