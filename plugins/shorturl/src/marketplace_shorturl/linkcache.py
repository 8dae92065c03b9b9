"""Two cache layers between a slug and its link: process memory, then the shared cache.

Contract:

- Every lookup reads the slug's current *version* from the shared cache, one
  round trip (:mod:`marketplace_shorturl.versions`). The in-process entry is
  used only when it was loaded under that same version, so a change made by any
  process sharing the cache is seen by the very next lookup in every process.
- :meth:`LinkCache.invalidate` gives the slug a new version. Writers call it
  right away and again after their transaction commits
  (:mod:`marketplace_shorturl.signals`): a reader that loaded the old row in
  between stored it under a version nobody asks for again.
- On a cache hit the lookup makes no database query. Unknown slugs are cached
  too (briefly), so probing random slugs does not reach the database each time.
- The shared cache being unreachable is never an error: the lookup reads the
  database. After a failure the process leaves the cache alone for
  :data:`RETRY_INTERVAL` seconds (each lookup is one database query), then
  tries again. Before it trusts the cache again it replays the invalidations
  writers could not deliver meanwhile (:class:`~marketplace_shorturl.models.MissedInvalidation`),
  so a link changed during the outage is not answered from an entry the
  cache kept from before it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.core.cache import cache

from marketplace_shorturl import versions
from marketplace_shorturl.conf import conf

logger = logging.getLogger("shorturl")

#: Unknown slugs are remembered this long (seconds) in the shared cache.
NEGATIVE_TIMEOUT = 60
#: Seconds a process reads links from the database before trying an unreachable cache again.
RETRY_INTERVAL = 1.0
_NOT_FOUND = "-"  # stored for unknown slugs (``None`` would read as a cache miss)
_KEY_PREFIX = "shorturl:link"
_REPLAY_BATCH = 500

LinkStatus = Literal["ok", "inactive", "expired", "used_up"]


@dataclass(frozen=True, slots=True)
class CachedLink:
    """What a redirect needs to know about a link."""

    id: int
    destination: str
    is_active: bool
    #: POSIX timestamp, or ``None`` for a link that never expires.
    expires_at: float | None
    #: Redirects allowed in all (:mod:`marketplace_shorturl.visits`), ``None``: no limit.
    max_visits: int | None = None
    #: The link's flushed click count when it was loaded (seeds the visit counter).
    clicks: int = 0

    def status(self, now: float) -> LinkStatus:
        if not self.is_active:
            return "inactive"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "ok"


def version_key(slug: str) -> str:
    return f"{_KEY_PREFIX}:v:{slug}"


def _entry_key(slug: str, version: str) -> str:
    return f"{_KEY_PREFIX}:e:{slug}:{version}"


def _new_version() -> str:
    return uuid.uuid4().hex[:16]


class LinkCache:
    """The in-process layer and this process's view of the shared cache's health;
    one instance per process (:data:`links`)."""

    def __init__(self) -> None:
        self._local: dict[str, tuple[str, CachedLink | None]] = {}
        self._lock = threading.Lock()
        # Set while the shared cache is failing: monotonic time of the next attempt.
        self._retry_at: float | None = None

    def get(self, slug: str) -> CachedLink | None:
        """The link for lowercase ``slug``, ``None`` if there is no such link.

        Raises only if the database fails; an unreachable shared cache is logged
        (once per outage) and the link is read from the database.
        """
        if not self._cache_usable():
            return _from_database(slug)
        try:
            version, hit, link = self._lookup(slug)
        except Exception as error:  # any cache failure; the database still answers
            self._failed(error)
            return _from_database(slug)
        if self._retry_at is not None:
            self._recovered()
        if hit:
            return link
        link = _from_database(slug)
        try:
            self._store(slug, version, link)
        except Exception as error:
            self._failed(error)
        return link

    def _lookup(self, slug: str) -> tuple[str, bool, CachedLink | None]:
        """``(version, hit, link)`` from the cache layers; ``hit`` is false when the
        database must be asked (then ``link`` is ``None``)."""
        store = versions.store()
        version = store.get(version_key(slug))
        if version is None:
            version = store.ensure(version_key(slug), _new_version(), conf.CACHE_TIMEOUT)
        else:
            local = self._local.get(slug)
            if local is not None and local[0] == version:
                return version, True, local[1]
        stored = cache.get(_entry_key(slug, version))
        if stored is None:
            return version, False, None
        if stored != _NOT_FOUND and len(stored) != _TUPLE_LENGTH:
            return version, False, None  # written by an older version of this module
        link = None if stored == _NOT_FOUND else CachedLink(*stored)
        self._remember(slug, version, link)
        return version, True, link

    def _store(self, slug: str, version: str, link: CachedLink | None) -> None:
        if link is None:
            cache.set(_entry_key(slug, version), _NOT_FOUND, timeout=NEGATIVE_TIMEOUT)
        else:
            cache.set(_entry_key(slug, version), _to_tuple(link), timeout=conf.CACHE_TIMEOUT)
        self._remember(slug, version, link)

    def _remember(self, slug: str, version: str, link: CachedLink | None) -> None:
        with self._lock:
            if len(self._local) >= conf.LOCAL_CACHE_SIZE:
                # Oldest first (dicts keep insertion order): cheap and good enough,
                # since a dropped entry costs one shared-cache read.
                self._local.pop(next(iter(self._local)))
            self._local[slug] = (version, link)

    # -- the shared cache's health ---------------------------------------------------

    def _cache_usable(self) -> bool:
        """False for :data:`RETRY_INTERVAL` seconds after a failure. When it has
        passed, missed invalidations are replayed first (a failure there starts
        another interval)."""
        retry_at = self._retry_at
        if retry_at is None:
            return True
        if time.monotonic() < retry_at:
            return False
        try:
            replay_missed()
        except Exception as error:
            self._failed(error)
            return False
        return True

    def _failed(self, error: Exception) -> None:
        first = self._retry_at is None
        self._retry_at = time.monotonic() + RETRY_INTERVAL
        if first:
            logger.warning("shorturl: the shared cache is unreachable (%s); short links are "
                           "read from the database until it answers again", error,
                           exc_info=error)

    def _recovered(self) -> None:
        self._retry_at = None
        logger.info("shorturl: the shared cache answers again; short links are cached again")

    # -- writers ---------------------------------------------------------------------

    def invalidate(self, slug: str) -> None:
        """Make every process reload ``slug`` on its next lookup. Raises when the
        shared cache cannot be written."""
        with self._lock:
            self._local.pop(slug, None)
        versions.store().bump(version_key(slug), _new_version(), conf.CACHE_TIMEOUT)

    def invalidate_or_record(self, slugs: Iterable[str], *, record_missed: bool) -> None:
        """:meth:`invalidate` each slug; when the shared cache is unreachable, log it
        and, with ``record_missed``, leave a ``MissedInvalidation`` per slug to replay.

        Never raises for the cache: a writer's change must not fail because of it.
        """
        slugs = list(slugs)
        try:
            # Tried even while lookups skip the cache: a missed invalidation waits for
            # a replay, so it is worth a connection attempt (writes are rare).
            for slug in slugs:
                self.invalidate(slug)
        except Exception as error:
            self._failed(error)
            if record_missed:
                from marketplace_shorturl.models import MissedInvalidation

                MissedInvalidation.objects.bulk_create(
                    [MissedInvalidation(slug=slug) for slug in slugs])
                logger.warning("shorturl: %s changed while the shared cache was unreachable; "
                               "the cache will be told when it answers again",
                               ", ".join(slugs))

    def clear_local(self) -> None:
        """Forget this process's layer and what it noticed about the shared cache, as
        in a fresh process (the shared cache is untouched)."""
        with self._lock:
            self._local.clear()
        self._retry_at = None


def replay_missed() -> int:
    """Give every slug with a ``MissedInvalidation`` a new version, then delete those
    rows; return how many rows were replayed.

    Raises, leaving the rows for the next attempt, while the shared cache is still
    unreachable. Idempotent: a row replayed twice only costs its slug a reload.
    """
    from marketplace_shorturl.models import MissedInvalidation

    replayed = 0
    while True:
        rows = list(MissedInvalidation.objects.order_by("pk")
                    .values_list("pk", "slug")[:_REPLAY_BATCH])
        if not rows:
            return replayed
        for slug in {slug for _, slug in rows}:
            links.invalidate(slug)
        MissedInvalidation.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
        replayed += len(rows)


_TUPLE_LENGTH = 6


def _to_tuple(link: CachedLink) -> tuple[int, str, bool, float | None, int | None, int]:
    # A plain tuple pickles small; its length tells entries of older versions apart.
    return (link.id, link.destination, link.is_active, link.expires_at, link.max_visits,
            link.clicks)


def _from_database(slug: str) -> CachedLink | None:
    from marketplace_shorturl.models import ShortURL

    row = (
        ShortURL.objects.filter(slug=slug)
        .values_list("id", "destination", "is_active", "expires_at", "max_visits", "clicks")
        .first()
    )
    if row is None:
        return None
    link_id, destination, is_active, expires_at, max_visits, clicks = row
    return CachedLink(link_id, destination, is_active,
                      expires_at.timestamp() if expires_at else None, max_visits, clicks)


links = LinkCache()
