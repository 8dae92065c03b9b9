"""Storefront pages from the shared cache, correct for every visitor.

:class:`CachedStorefrontPage` (a view mixin) keeps, per page (path, the query
parameters the view reads, HTMX variant, host and language), one *entry* in the
``default`` cache, stored with the :func:`~.versions.catalog_version` it was
rendered under and used only while that is the current version. A page is
rendered once per catalog change, as a *shell* that holds no per-person state:

- the parts of a page that depend on who is looking (the account links, the
  email-verification banner, messages, Buy or Download) are written in
  ``{% user_part %}`` blocks and the shell keeps only a marker for each;
- each product card's "Owned" badge is a marker (``{% owned_badge %}``);
- the CSRF token is a placeholder;
- the plugins' ``head_tags`` (``{% marketplace_head_tags %}``) are a marker,
  filled for every request served, anonymous ones included: they may depend on
  the request (a consent cookie, the CSP nonce) and never reach the cache.

Serving an entry fills the markers for the visitor: an anonymous visitor
without messages gets the anonymous page (filled once, kept in the entry) with
only the CSRF token set, no query, an ``ETag`` and ``Last-Modified``, and a
304 when the browser's copy is current. Anyone else gets the ``user_part``
blocks rendered for them, their owned badges from one query, and no validator
(their page is theirs alone).

Nothing is cached, and the view renders as it would without this mixin,
when: the method is not GET/HEAD, ``PAGE_CACHE_TIMEOUT`` is 0, maintenance
mode is on, the shared cache cannot be reached (:mod:`.versions`), the answer
is not a 200 template response, the page is a seller's preview, or the page
was rendered with a layout that has no ``user_part`` blocks (a project's
``BASE_TEMPLATE`` that shows the user in other ways: serving its shell to a
logged-in visitor could show them the anonymous header) and the visitor is
logged in. The shop's own parts (notices, Buy or Download) do not count: they
render inside ``marketplace_shop_body`` (``base.html``), the layout's outside.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import TemplateDoesNotExist
from django.template.base import Node, NodeList
from django.template.base import Template as CompiledTemplate
from django.template.context import make_context
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from marketplace_core.catalog import anonymous_pages, visitors
from marketplace_core.catalog.anonymous_pages import (
    CSRF_PLACEHOLDER,
    HEAD_MARKER,
    anonymous_response,
    has_messages,
    head_tags,
    page_variant,
)
from marketplace_core.catalog.versions import read_with, shared_cache
from marketplace_core.conf import conf
from marketplace_core.context_processors import Navigation
from marketplace_core.csrf_tokens import masked_csrf_token
from marketplace_core.ownership.models import PurchasedProduct

logger = logging.getLogger("marketplace_core.catalog")

#: In the context while a shell renders (its :class:`ShellParts`, which
#: ``user_part`` fills): ``user_part`` and ``owned_badge`` leave markers.
SHELL_FLAG = "marketplace_page_shell"
#: Set by ``base.html`` around the shop's page (inside the layout's ``content``).
SHOP_BODY_FLAG = "marketplace_shop_body"
OWNED_BADGE = '<span class="badge ok owned" data-owned>Owned</span>'
#: Bumped when the entry layout changes: older entries are then misses.
ENTRY_FORMAT = 2

_PART = re.compile(r"<!--mp-part:(\d+)-->")
_OWNED = re.compile(r"<!--mp-owned:(\d+)-->")


def part_marker(index: int) -> str:
    return f"<!--mp-part:{index}-->"


def owned_marker(product_id: int) -> str:
    return f"<!--mp-owned:{product_id}-->"


def owned_product_ids(request: HttpRequest, among: Iterable[int] | None = None) -> frozenset[int]:
    """The ids of products ``request.user`` owns (optionally only ``among`` them):
    one query per request, none for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return frozenset()
    scope = None if among is None else frozenset(among)
    memo: dict[frozenset[int] | None, frozenset[int]] = request.__dict__.setdefault(
        "_marketplace_owned_ids", {})
    if scope not in memo:
        purchases = PurchasedProduct.objects.active().filter(buyer_id=user.pk)
        if scope is not None:
            purchases = purchases.filter(product_id__in=scope)
        memo[scope] = frozenset(purchases.values_list("product_id", flat=True))
    return memo[scope]


# -------------------------------------------------------------------------
# entries
# -------------------------------------------------------------------------


def page_key(request: HttpRequest, params: Iterable[str]) -> str:
    """The entry's cache key: what can change the HTML of a storefront page."""
    query = [(name, request.GET.getlist(name)) for name in sorted(params)]
    text = f"{page_variant(request)}\x1f{query!r}"
    digest = hashlib.blake2b(text.encode(), digest_size=16)
    return f"marketplace:page:{digest.hexdigest()}"


def _applies(request: HttpRequest) -> bool:
    return (request.method in ("GET", "HEAD") and conf.PAGE_CACHE_TIMEOUT > 0
            and not getattr(request, "maintenance_mode", False))


# -------------------------------------------------------------------------
# filling the markers
# -------------------------------------------------------------------------


@dataclass
class ShellParts:
    """The user parts a shell met while it rendered."""

    #: (template name, origin name, part name), in marker order.
    parts: list[tuple[str, str, str]] = field(default_factory=list)
    #: A part outside the shop's page: the layout keeps who is looking in parts.
    in_layout: bool = False


class UserPartNode(Node):
    """``{% user_part "name" %}`` (:mod:`marketplace_core.templatetags.marketplace_page_cache`)."""

    child_nodelists = ("nodelist",)

    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: Any) -> SafeString:
        shell = context.get(SHELL_FLAG)
        if shell is None:
            return SafeString(self.nodelist.render(context))
        if not context.get(SHOP_BODY_FLAG):
            shell.in_layout = True
        parts = shell.parts
        # Where to find this block again: the name the template was loaded by and
        # its origin (a site's template of the same name may extend core's).
        part = (self.origin.template_name, self.origin.name, self.name)
        if part not in parts:
            parts.append(part)
        return mark_safe(part_marker(parts.index(part)))  # noqa: S308


_nodes: weakref.WeakKeyDictionary[CompiledTemplate, dict[str, UserPartNode]] = (
    weakref.WeakKeyDictionary())


def _part_node(template_name: str, origin_name: str,
               name: str) -> tuple[CompiledTemplate, UserPartNode]:
    """The ``user_part`` block ``name`` of the template loaded from ``origin_name``
    (found by ``template_name`` as ``{% extends %}`` finds it; compiled once per
    process with the cached loader). Raises ``TemplateDoesNotExist`` or
    ``KeyError`` when the templates changed since the entry was made."""
    compiled: CompiledTemplate = get_template(template_name).template  # type: ignore[attr-defined]
    skipped = []
    while compiled.origin.name != origin_name:
        skipped.append(compiled.origin)
        compiled = compiled.engine.find_template(template_name, skip=skipped)[0]
    nodes = _nodes.get(compiled)
    if nodes is None:
        nodes = {node.name: node for node in compiled.nodelist.get_nodes_by_type(UserPartNode)
                 if isinstance(node, UserPartNode)}
        _nodes[compiled] = nodes
    return compiled, nodes[name]


def render_parts(entry: dict[str, Any], request: HttpRequest, *, csrf: str,
                 owned: frozenset[int]) -> list[str]:
    """The entry's user parts rendered for ``request``'s visitor, who owns ``owned``."""
    if not entry["parts"]:
        return []
    extra = dict(entry["context"])
    product = extra.get("product")
    if product is not None:
        extra["owns_product"] = product.pk in owned
        extra["is_preview"] = False
    extra["csrf_token"] = csrf
    context = make_context(extra, request)
    rendered: list[str] = []
    for template_name, origin_name, name in entry["parts"]:
        compiled, node = _part_node(template_name, origin_name, name)
        # As Template.render does: processors under the view's values, the
        # template bound for the {% include %} and {% url %} inside a part.
        with context.render_context.push_state(compiled), context.bind_template(compiled):
            rendered.append(node.nodelist.render(context))
    return rendered


def splice(entry: dict[str, Any], rendered: list[str], owned: frozenset[int]) -> str:
    """The entry's shell with its part markers replaced by ``rendered`` and a
    badge on the cards of the products in ``owned``."""
    shell: str = entry["shell"]
    if rendered:
        shell = _PART.sub(lambda m: rendered[int(m.group(1))], shell)
    if not entry["product_ids"]:
        return shell
    return _OWNED.sub(lambda m: OWNED_BADGE if int(m.group(1)) in owned else "", shell)


def fill(entry: dict[str, Any], request: HttpRequest, *, csrf: str) -> str:
    """The entry's shell with every marker replaced for ``request``'s visitor.

    Costs one query for a logged-in visitor (what they own among the page's
    products) and none for an anonymous one.
    """
    owned = owned_product_ids(request, among=entry["product_ids"])
    return splice(entry, render_parts(entry, request, csrf=csrf, owned=owned), owned)


def fill_for(person: visitors.Visitor, entry: dict[str, Any], values: dict[str, Any],
             request: HttpRequest) -> str:
    """:func:`fill` for a logged-in visitor from the parts and owned ids kept for
    them (:mod:`.visitors`): no query and no rendering while those are current."""
    version = person.version(values)
    if version is None:  # the cache failed since the page was read
        return fill(entry, request, csrf=CSRF_PLACEHOLDER)
    owned = person.owned(values, version)
    rendered = person.parts(values, version, entry["version"], entry["parts"])
    if rendered is None:
        rendered = render_parts(entry, request, csrf=CSRF_PLACEHOLDER, owned=owned)
        person.store_parts(version, entry["version"], entry["parts"], rendered)
    return splice(entry, rendered, owned)


# -------------------------------------------------------------------------
# the mixin
# -------------------------------------------------------------------------


class CachedStorefrontPage:
    """Serve a storefront ``TemplateResponseMixin`` view from the page cache.

    ``page_cache_params``: the query parameters the view reads (others share the
    entry, so ``?utm_source=...`` cannot fill the cache with copies).
    ``page_cache_context``: context values the ``user_part`` blocks read
    besides the request's (kept in the entry, pickled).
    """

    page_cache_params: tuple[str, ...] = ()
    page_cache_context: tuple[str, ...] = ("product",)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        def view() -> HttpResponseBase:
            response: HttpResponseBase = super(CachedStorefrontPage, self).dispatch(  # type: ignore[misc]
                request, *args, **kwargs)
            return response

        if not _applies(request):
            return view()
        key = page_key(request, self.page_cache_params)
        # A logged-in visitor's parts and owned ids are read in the same round trip.
        person = None if has_messages(request) else visitors.visitor(request,
                                                                      page_variant(request))
        read = read_with(key, *(person.keys if person else ()))
        if read is None:  # the shared cache is down
            return view()
        version, values = read
        entry = values.get(key)
        if not (isinstance(entry, dict) and entry.get("format") == ENTRY_FORMAT
                and entry.get("version") == version):
            response = view()
            entry = self._render_shell(response, version)
            if entry is None:
                return response
            self._store(key, entry)
        # Rendered again (rarely: a logged-in visitor of a page without user parts,
        # or an entry from other templates) when the entry cannot serve this visitor.
        return self._serve(key, entry, request, person, values) or view()

    def _render_shell(self, response: HttpResponseBase, version: str) -> dict[str, Any] | None:
        """Render ``response`` as a shell; ``None`` (``response`` untouched) when
        the page must not be cached."""
        if not (isinstance(response, TemplateResponse) and response.status_code == 200
                and not response.is_rendered and not response.cookies):
            return None
        context = response.context_data or {}
        if context.get("is_preview"):
            return None
        kept = {name: context[name] for name in self.page_cache_context if name in context}
        # Outside the user parts a shell must show nobody's state: a template that
        # asks for the user there sees an anonymous visitor, whoever rendered it.
        anonymous = copy.copy(response._request)
        anonymous.user = AnonymousUser()
        shell_parts = ShellParts()
        response.context_data = {
            **context, SHELL_FLAG: shell_parts, "csrf_token": CSRF_PLACEHOLDER,
            "request": anonymous, "user": anonymous.user, "perms": PermWrapper(anonymous.user),
            "nav": Navigation(anonymous),
        }
        response.render()
        shell = response.content.decode(response.charset)
        # The response is not served: the entry is, filled for this request.
        product_ids = {int(pk) for pk in _OWNED.findall(shell)}
        if "product" in kept:
            product_ids.add(kept["product"].pk)
        return {
            "format": ENTRY_FORMAT, "version": version, "shell": shell, "anonymous": None,
            "parts": shell_parts.parts,
            # A page shows who is looking only in user parts when its layout has
            # some; an HTMX fragment of the results has no layout.
            "personal": shell_parts.in_layout or bool(context.get("results_only")),
            "context": kept, "product_ids": sorted(product_ids),
            "content_type": response["Content-Type"], "charset": response.charset,
            # The view's Vary and Cookie (the page differs for who is logged in).
            "vary": _vary_with_cookie(response.get("Vary", "")),
        }

    def _store(self, key: str, entry: dict[str, Any]) -> None:
        shared_cache.run(lambda cache: cache.set(key, entry, timeout=conf.PAGE_CACHE_TIMEOUT),
                         local=lambda cache: None)

    def _serve(self, key: str, entry: dict[str, Any], request: HttpRequest,
               person: visitors.Visitor | None,
               values: dict[str, Any]) -> HttpResponseBase | None:
        """The entry's page for ``request``; ``None`` when it has to be rendered."""
        anonymous = not request.user.is_authenticated
        shared = anonymous and not has_messages(request)
        if not shared and not entry["personal"]:
            # Without any user_part the shell cannot be told apart from a page
            # that shows the user some other way: only anonymous visitors get it.
            return None
        try:
            if shared:
                if entry["anonymous"] is None:
                    page = fill(entry, request, csrf=CSRF_PLACEHOLDER).encode(entry["charset"])
                    entry["anonymous"] = page
                    entry["digest"] = hashlib.blake2b(page, digest_size=12).hexdigest()
                    self._store(key, entry)
                page_info = {name: entry[name] for name in ANONYMOUS_PAGE}
                page_info["page"] = entry["anonymous"]
                anonymous_pages.remember(request, self.page_cache_params, page_info)
                return anonymous_response(request, page_info)
            if person is not None:
                body = fill_for(person, entry, values, request)
            else:
                body = fill(entry, request, csrf=CSRF_PLACEHOLDER)
        except (TemplateDoesNotExist, KeyError):
            return None  # made with templates this process does not have (a deploy)
        if CSRF_PLACEHOLDER in body:
            body = body.replace(CSRF_PLACEHOLDER, masked_csrf_token(request))
        if HEAD_MARKER in body:
            body = body.replace(HEAD_MARKER, head_tags(request), 1)
        response = HttpResponse(body, content_type=entry["content_type"])
        response.headers["Vary"] = entry["vary"]
        patch_cache_control(response, private=True, no_cache=True)
        return response


#: What an entry gives an anonymous visitor's page besides its HTML.
ANONYMOUS_PAGE = ("version", "digest", "content_type", "charset", "vary")


def _vary_with_cookie(vary: str) -> str:
    response = HttpResponse()
    if vary:
        response.headers["Vary"] = vary
    patch_vary_headers(response, ("Cookie",))
    return response.headers["Vary"]
