"""Anonymous pages answered before URL resolution (``AnonymousPageMiddleware``).

Most storefront traffic is anonymous and asks for pages the page cache
(:mod:`.page_cache`) already holds. The middleware, placed last in
``MIDDLEWARE``, answers such a request from one cache round trip without
resolving the URL or running the view. Every middleware before it has done its
request work (sessions, CSRF, authentication, messages, maintenance mode, the
locale, the plugins') and does its response work as for any page.

An *alias* is kept per address: scheme, host, path and raw query string, the
HTMX headers and the active language (:func:`alias_key`). The page cache's
mixin writes it (:func:`remember`) when it serves an entry's anonymous page,
stored with the catalog version that entry was rendered under, so the next
catalog change retires both. It is written only for a query string whose
parameters the view reads (``page_cache_params``): other parameters
(``utm_source``) share the view's entry but get no alias, so tracking links
cannot fill the cache with copies of a page; they are served by the view.

The middleware answers only a GET or HEAD, with the page cache on, maintenance
mode off (or passed by staff, who are logged in), from a visitor who is not
logged in and has no messages waiting. A missing or stale alias, the shared
cache down, or anything else: the request goes on to the view unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import ResolverMatch, URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils.cache import get_conditional_response
from django.utils.functional import SimpleLazyObject
from django.utils.html import conditional_escape
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from marketplace_core.catalog.versions import read_with, shared_cache, version_time
from marketplace_core.conf import conf
from marketplace_core.csrf_tokens import masked_csrf_token
from marketplace_core.plugins.manager import call_each

logger = logging.getLogger("marketplace_core.catalog")

#: The dotted path to list in ``MIDDLEWARE`` (last).
MIDDLEWARE_PATH = "marketplace_core.catalog.anonymous_pages.AnonymousPageMiddleware"
#: Bumped when an alias's layout changes: older aliases are then misses.
ALIAS_FORMAT = 1
#: Request headers that change what a page renders (django-htmx partials).
VARY_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_HISTORY_RESTORE_REQUEST")
#: Stands for the CSRF token in cached HTML (letters only: nothing escapes it).
CSRF_PLACEHOLDER = "MarketplaceCsrfTokenPlaceholderQz"
#: Stands for the plugins' head tags in cached HTML (filled per request: :func:`head_tags`).
HEAD_MARKER = "<!--mp-head-->"
_CSRF_BYTES = CSRF_PLACEHOLDER.encode("ascii")
_HEAD_BYTES = HEAD_MARKER.encode("ascii")


def head_tags(request: HttpRequest) -> SafeString:
    """The plugins' ``head_tags`` for ``request``, joined (plain strings escaped).

    An implementation that raises is logged and left out; the page renders.
    """
    called = call_each("head_tags", {"request": request}, logger=logger,
                       failing="while adding head tags")
    fragments = [conditional_escape(fragment) for answer in called.result
                 for fragment in (answer or [])]
    return mark_safe("".join(fragments))  # noqa: S308 - each fragment is escaped or safe


def anonymous_response(request: HttpRequest, page: dict[str, Any]) -> HttpResponseBase:
    """The response to an anonymous visitor for ``page``: a filled page (its
    ``page`` HTML encoded in its ``charset``, with the CSRF placeholder and head
    marker; ``digest`` of that HTML, catalog ``version``, ``content_type`` and
    ``vary`` header).

    The page gets the visitor's CSRF token and the plugins' head tags, a weak
    ``ETag`` (of the page, the CSRF secret its token masks and the head tags: a
    nonce among them means no 304), ``Last-Modified`` (the version's time) and
    ``Cache-Control: no-cache``; a conditional GET with a current copy gets 304.
    """
    # Bytes, encoded once when the page was filled: the cache's copy is not
    # decoded and the response's not encoded again, for every request.
    body: bytes = page["page"]
    if _CSRF_BYTES in body:
        body = body.replace(_CSRF_BYTES, masked_csrf_token(request).encode("ascii"))
    tags = ""
    if _HEAD_BYTES in body:
        tags = head_tags(request)
        body = body.replace(_HEAD_BYTES, tags.encode(page["charset"]), 1)
    response = HttpResponse(body, content_type=page["content_type"])
    secret = request.META.get("CSRF_COOKIE", "")
    digest = hashlib.blake2b(f"{page['digest']}\x1f{secret}\x1f{tags}".encode(), digest_size=12)
    etag = f'W/"{digest.hexdigest()}"'
    last_modified = int(version_time(page["version"]))
    headers = response.headers
    headers["Vary"] = page["vary"]
    headers["ETag"] = etag
    headers["Last-Modified"] = http_date(last_modified)
    headers["Cache-Control"] = "no-cache"  # revalidate: the next request may differ
    if not ("HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META):
        return response
    return get_conditional_response(request, etag=etag, last_modified=last_modified,
                                    response=response) or response


def page_variant(request: HttpRequest) -> str:
    """What can change the HTML of a storefront page besides its query string
    (and what a visitor's user parts of it may depend on besides the person)."""
    variant: str | None = request.__dict__.get("_marketplace_page_variant")
    if variant is None:
        parts = (request.scheme, request.get_host(), request.path,
                 *(request.META.get(header, "") for header in VARY_HEADERS), get_language())
        variant = request.__dict__["_marketplace_page_variant"] = "\x1f".join(map(str, parts))
    return variant


def alias_key(request: HttpRequest) -> str:
    """The cache key of the anonymous page at ``request``'s exact address: its
    :func:`page_variant` and raw query string."""
    text = f"{page_variant(request)}\x1f{request.META.get('QUERY_STRING', '')}"
    return f"marketplace:anon:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def answerable(request: HttpRequest) -> bool:
    """Whether ``request`` may be answered with a shared anonymous page."""
    if (request.method not in ("GET", "HEAD") or conf.PAGE_CACHE_TIMEOUT <= 0
            or getattr(request, "maintenance_mode", False)
            or not may_be_storefront_page(request)):
        return False
    user = getattr(request, "user", None)
    return user is not None and not user.is_authenticated and not has_messages(request)


#: Exact paths and path prefixes.
Routes = tuple[frozenset[str], tuple[str, ...]]


def may_be_storefront_page(request: HttpRequest) -> bool:
    """Whether ``request``'s path could route to a cached storefront view: other
    requests (the admin, the API, static files) cost no cache read."""
    resolver = get_resolver(getattr(request, "urlconf", None))
    routes = _storefront_routes.get(resolver)
    if routes is None:
        routes = _storefront_routes[resolver] = _routes_of(resolver.url_patterns, "/")
    exact, prefixes = routes
    path = request.path_info
    return path in exact or path.startswith(prefixes)


#: Per URL resolver (rebuilt with it): the exact paths and the path prefixes of
#: the views that serve cached storefront pages.
_storefront_routes: weakref.WeakKeyDictionary[URLResolver, Routes] = weakref.WeakKeyDictionary()


def _routes_of(patterns: Iterable[URLPattern | URLResolver],
               prefix: str) -> Routes:
    exact: set[str] = set()
    prefixes: set[str] = set()
    for pattern in patterns:
        route = str(pattern.pattern) if isinstance(pattern.pattern, RoutePattern) else None
        static = None if route is None else route.split("<", 1)[0]
        if isinstance(pattern, URLResolver):
            if static is None or static != route:  # a regex or a converter: anything below
                prefixes.add(prefix + (static or ""))
                continue
            inner_exact, inner_prefixes = _routes_of(pattern.url_patterns, prefix + route)
            exact |= inner_exact
            prefixes |= set(inner_prefixes)
            continue
        # A view of page_cache.CachedStorefrontPage (which imports this module).
        if getattr(getattr(pattern.callback, "view_class", None), "page_cache_params",
                   None) is None:
            continue
        if route is not None and static == route:
            exact.add(prefix + route)
        else:
            prefixes.add(prefix + (static or ""))
    return frozenset(exact), tuple(sorted(prefixes))


def has_messages(request: HttpRequest) -> bool:
    """Whether messages wait for ``request``'s visitor (read without marking them seen)."""
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def remember(request: HttpRequest, params: Iterable[str], page: dict[str, Any]) -> None:
    """Keep ``page`` (the anonymous page of an entry: its ``version``, ``page``,
    ``digest``, ``content_type`` and ``vary``) as the alias of ``request``'s
    address, unless its query string has parameters outside ``params`` or the
    middleware that reads aliases is not installed."""
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE or not set(request.GET).issubset(params):
        return
    key, alias = alias_key(request), {"format": ALIAS_FORMAT, **page}
    shared_cache.run(lambda cache: cache.set(key, alias, timeout=conf.PAGE_CACHE_TIMEOUT),
                     local=lambda cache: None)


def lookup(request: HttpRequest) -> dict[str, Any] | None:
    """The current alias of ``request``'s address; ``None`` on a miss, a stale
    alias, or the shared cache down."""
    key = alias_key(request)
    read = read_with(key)
    if read is None:
        return None
    version, values = read
    alias = values.get(key)
    if (isinstance(alias, dict) and alias.get("format") == ALIAS_FORMAT
            and alias.get("version") == version):
        return alias
    return None


class AnonymousPageMiddleware:
    """Answer an anonymous visitor's GET of a cached storefront page at once.

    List it last in ``MIDDLEWARE`` (system check ``marketplace_core.E054``): a
    middleware after it does not run for the pages it answers, nor does any
    middleware's ``process_view``. ``request.resolver_match`` is set, resolved
    when first read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if answerable(request):
            alias = lookup(request)
            if alias is not None:
                # What the handler would have set, resolved only if something reads
                # it (a plugin's head tags or middleware asking which page this is).
                request.resolver_match = SimpleLazyObject(  # type: ignore[assignment]
                    partial(_resolve, request))
                return anonymous_response(request, alias)
        return self.get_response(request)


def _resolve(request: HttpRequest) -> ResolverMatch:
    return get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
