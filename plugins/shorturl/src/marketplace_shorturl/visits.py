"""Maximum visits: past ``ShortURL.max_visits`` redirects a link answers 410.

Counted on the redirect path without a database query: one atomic "add one
unless at the maximum" on a per-link counter in the shared cache
(``shorturl:visits:<link id>``, no expiry), made only for links that have a
maximum (:meth:`~.versions.VersionStore.incr_within`: a Lua script on the
version store's persistent Redis connection, one round trip; ``incr`` and
``decr`` through Django's cache otherwise). The counter starts from the link's
flushed click count when the cache does not have it (first visit, or a cache
that lost it), so it never restarts from zero.

Bounds:

- With a cache whose ``incr`` is atomic (Redis, Memcached; local memory within
  one process) at most ``max_visits`` redirects are served, exactly, however
  many processes serve them at once.
- If the cache loses the counter, it restarts from the flushed clicks: at most
  ``max_visits`` plus the clicks not yet flushed at that moment (about
  ``PUSH_INTERVAL`` + ``FLUSH_INTERVAL`` seconds of the link's traffic).
- While the shared cache is unreachable each process admits a visit when the
  clicks it read from the database plus its own unpushed clicks are below the
  maximum: at most ``max_visits`` plus what the other processes serve during
  the outage.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from marketplace_shorturl import versions
from marketplace_shorturl.clicks import buffer
from marketplace_shorturl.linkcache import CachedLink

logger = logging.getLogger("shorturl")


def visits_key(link_id: int) -> str:
    return f"shorturl:visits:{link_id}"


def admit(link: CachedLink, *, count: bool) -> bool:
    """Whether ``link`` may redirect once more; with ``count``, the visit is used up.

    Always ``True`` for a link without a maximum (and then touches nothing).
    Without ``count`` (a HEAD request) it only looks.
    """
    limit = link.max_visits
    if limit is None:
        return True
    key = visits_key(link.id)
    try:
        if not count:
            used = cache.get(key)
            return (link.clicks if used is None else int(used)) < limit
        # Refused visits are not counted: a raised maximum admits exactly the difference.
        return versions.store().incr_within(key, link.clicks, limit)
    except Exception as error:  # the shared cache is unreachable (or lost the key just now)
        logger.debug("shorturl: visit counter unavailable (%s); counting locally", error)
        return link.clicks + buffer.pending_for(link.id) < limit


def forget(link_id: int) -> None:
    """Drop the counter (the link was deleted); never raises."""
    try:
        cache.delete(visits_key(link_id))
    except Exception:
        logger.debug("shorturl: could not drop the visit counter of link %s", link_id)
