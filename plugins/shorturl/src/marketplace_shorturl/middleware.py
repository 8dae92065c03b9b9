"""``ShortURLMiddleware``: answer short-link redirects before the rest of the stack.

Enable it by listing it right after ``SecurityMiddleware`` (so HTTPS redirects
and HSTS still apply) and before the session, authentication and message
middleware, whose work a redirect does not need::

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "marketplace_shorturl.middleware.ShortURLMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]

It handles only ``GET /<prefix>/<slug>`` for a working link while maintenance
mode is off (core's :func:`~marketplace_core.maintenance.state.is_enabled`, the
same answer the maintenance middleware gets). With Redis as the cache a
redirect of a link this process has seen makes no round trip to Redis at all
(see :mod:`marketplace_shorturl.versions`). Everything else — unknown, expired
or inactive links, maintenance mode, other methods — goes down the normal stack to
:func:`~marketplace_shorturl.views.shorturl_view`, which gives the same answer
with the site's full pages (404, the 410 page, the maintenance page). Without
the middleware the view alone serves short links correctly, only slower.

It also counts, for every other request, a product page answered to a visitor
carrying a short link's attribution cookie
(:func:`~marketplace_shorturl.attribution.count_product_view`: in memory, no
query), whether the page came from the page cache or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, get_script_prefix, reverse

from marketplace_core.maintenance.state import is_enabled as maintenance_enabled
from marketplace_shorturl import attribution, redirects
from marketplace_shorturl.slugs import RESERVED_WORDS, SLUG_PATTERN

_SLUG = re.compile(rf"({SLUG_PATTERN})/?")
_UNSET = object()
_prefix: object | str | None = _UNSET


def short_link_prefix() -> str | None:
    """The path prefix of short links (``"/s/"``), or ``None`` when they are not mounted."""
    global _prefix
    if _prefix is _UNSET:
        try:
            path = reverse("shorturl:redirect", kwargs={"slug": "x"})
        except NoReverseMatch:
            _prefix = None
        else:
            _prefix = "/" + path[len(get_script_prefix()):-1]
    return _prefix  # type: ignore[return-value]


@receiver(setting_changed, dispatch_uid="shorturl.middleware.reset")
def _reset_prefix(*, setting: str, **kwargs: object) -> None:
    global _prefix
    if setting == "ROOT_URLCONF":
        _prefix = _UNSET


class ShortURLMiddleware:
    """Serve ``GET`` redirects of working short links without the rest of the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            response = self._fast_redirect(request)
            if response is not None:
                return response
        response = self.get_response(request)
        attribution.count_product_view(request, response)
        return response

    def _fast_redirect(self, request: HttpRequest) -> HttpResponse | None:
        prefix = short_link_prefix()
        path = request.path_info
        if not prefix or not path.startswith(prefix):
            return None
        match = _SLUG.fullmatch(path, len(prefix))
        if match is None or match.group(1).lower() in RESERVED_WORDS:
            return None  # not a short link (the seller pages live under /s/manage/)
        if maintenance_enabled():
            return None  # the maintenance middleware decides, as for any page
        link = redirects.find(match.group(1))
        if link is None or link.status(redirects.now()) != "ok":
            return None
        request.get_host()  # ALLOWED_HOSTS applies here too (DisallowedHost -> 400)
        if redirects.status(link, count=True) != "ok":
            request.shorturl_used_up = True  # type: ignore[attr-defined]  # the view's 410
            return None
        return redirects.redirect(link, request, count=True)
