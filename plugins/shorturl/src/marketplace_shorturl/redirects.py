"""Answering a short link: shared by the view and the fast-path middleware."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponseRedirect

from marketplace_shorturl import attribution, slugs, visits
from marketplace_shorturl.clicks import buffer
from marketplace_shorturl.linkcache import CachedLink, LinkStatus, links


def find(slug: str) -> CachedLink | None:
    """The link for ``slug`` as typed (any case), ``None`` if there is none."""
    return links.get(slugs.normalize(slug))


def status(link: CachedLink, *, count: bool) -> LinkStatus:
    """``"ok"`` when ``link`` may redirect now, else why not. With ``count`` (a GET)
    an ``"ok"`` uses up one of the link's visits when it has a maximum
    (:mod:`marketplace_shorturl.visits`: no database query)."""
    current = link.status(now())
    if current == "ok" and not visits.admit(link, count=count):
        return "used_up"
    return current


def redirect(link: CachedLink, request: HttpRequest, *, count: bool) -> HttpResponseRedirect:
    """302 to the destination; when ``count``, count the click and set the attribution
    cookie (:mod:`marketplace_shorturl.attribution`).

    302, not 301: a permanent redirect would be cached by browsers and later
    clicks would never reach us to be counted; ``no-store`` keeps shared caches
    from answering for us too (and from sharing the cookie).
    """
    response = HttpResponseRedirect(link.destination)
    response["Cache-Control"] = "no-store"
    if count:
        buffer.record(link.id)
        attribution.set_cookie(response, request, link.id, now())
    return response


def now() -> float:
    return time.time()
