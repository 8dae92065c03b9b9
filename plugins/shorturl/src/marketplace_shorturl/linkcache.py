"""Two cache layers between a slug and its link: process memory, then the shared cache.

Contract:

- Every lookup asks the version store (:mod:`marketplace_shorturl.versions`)
  for the slug's current *version*. The in-process entry is used only when it
  was loaded under that same version, so a change made by any process sharing
  the cache is seen by the very next lookup in every process. With Redis as
  the cache the store answers from process memory, kept current by Redis's
  invalidation messages (no round trip per lookup); with any other cache it
  reads the version from the cache.
- :func:`LinkCache.invalidate` gives the slug a new version. Writers call it right
  away and again after their transaction commits: a reader that loaded the old
  row in between stored it under the old version, which nobody asks for again.
- On a cache hit the lookup makes no database query. Unknown slugs are cached
  too (briefly), so probing random slugs does not reach the database each time.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Literal

from django.core.cache import cache

from marketplace_shorturl import versions
from marketplace_shorturl.conf import conf

#: Unknown slugs are remembered this long (seconds) in the shared cache.
NEGATIVE_TIMEOUT = 60
_NOT_FOUND = "-"  # stored for unknown slugs (``None`` would read as a cache miss)
_KEY_PREFIX = "shorturl:link"

LinkStatus = Literal["ok", "inactive", "expired"]


@dataclass(frozen=True, slots=True)
class CachedLink:
    """What a redirect needs to know about a link."""

    id: int
    destination: str
    is_active: bool
    #: POSIX timestamp, or ``None`` for a link that never expires.
    expires_at: float | None

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
    """The in-process layer; one instance per process (:data:`links`)."""

    def __init__(self) -> None:
        self._local: dict[str, tuple[str, CachedLink | None]] = {}
        self._lock = threading.Lock()

    def get(self, slug: str) -> CachedLink | None:
        """The link for lowercase ``slug``, ``None`` if there is no such link."""
        version = versions.store().get(version_key(slug))
        if version is not None:
            local = self._local.get(slug)
            if local is not None and local[0] == version:
                return local[1]
        return self._load(slug, version)

    def _load(self, slug: str, version: str | None) -> CachedLink | None:
        if version is None:
            version = versions.store().ensure(version_key(slug), _new_version(),
                                              conf.CACHE_TIMEOUT)
        key = _entry_key(slug, version)
        stored = cache.get(key)
        if stored is None:
            link = _from_database(slug)
            if link is None:
                cache.set(key, _NOT_FOUND, timeout=NEGATIVE_TIMEOUT)
            else:
                cache.set(key, _to_tuple(link), timeout=conf.CACHE_TIMEOUT)
        else:
            link = None if stored == _NOT_FOUND else CachedLink(*stored)
        self._remember(slug, version, link)
        return link

    def _remember(self, slug: str, version: str, link: CachedLink | None) -> None:
        with self._lock:
            if len(self._local) >= conf.LOCAL_CACHE_SIZE:
                # Oldest first (dicts keep insertion order): cheap and good enough,
                # since a dropped entry costs one shared-cache read.
                self._local.pop(next(iter(self._local)))
            self._local[slug] = (version, link)

    def invalidate(self, slug: str) -> None:
        """Make every process reload ``slug`` on its next lookup."""
        versions.store().bump(version_key(slug), _new_version(), conf.CACHE_TIMEOUT)
        with self._lock:
            self._local.pop(slug, None)

    def clear_local(self) -> None:
        """Forget this process's layer and remembered versions (the shared cache is untouched)."""
        with self._lock:
            self._local.clear()
        versions.store().forget()


def _to_tuple(link: CachedLink) -> tuple[int, str, bool, float | None]:
    # A plain tuple pickles small and stays readable across versions of this class.
    return (link.id, link.destination, link.is_active, link.expires_at)


def _from_database(slug: str) -> CachedLink | None:
    from marketplace_shorturl.models import ShortURL

    row = (
        ShortURL.objects.filter(slug=slug)
        .values_list("id", "destination", "is_active", "expires_at")
        .first()
    )
    if row is None:
        return None
    link_id, destination, is_active, expires_at = row
    return CachedLink(link_id, destination, is_active,
                      expires_at.timestamp() if expires_at else None)


links = LinkCache()
