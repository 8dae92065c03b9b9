"""Answering a short link: shared by the view and the fast-path middleware."""

from __future__ import annotations

import time

from django.http import HttpResponseRedirect

from marketplace_shorturl import slugs
from marketplace_shorturl.clicks import buffer
from marketplace_shorturl.linkcache import CachedLink, links


def find(slug: str) -> CachedLink | None:
    """The link for ``slug`` as typed (any case), ``None`` if there is none."""
    return links.get(slugs.normalize(slug))


def redirect(link: CachedLink, *, count: bool) -> HttpResponseRedirect:
    """302 to the destination, counting the click when ``count``.

    302, not 301: a permanent redirect would be cached by browsers and later
    clicks would never reach us to be counted; ``no-store`` keeps shared caches
    from answering for us too.
    """
    if count:
        buffer.record(link.id)
    response = HttpResponseRedirect(link.destination)
    response["Cache-Control"] = "no-store"
    return response


def now() -> float:
    return time.time()
