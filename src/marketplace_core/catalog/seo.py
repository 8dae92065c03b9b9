"""What search engines and link previews read: absolute and canonical addresses,
Open Graph / Twitter card values and a product's JSON-LD.

Addresses are absolute from ``MARKETPLACE["SITE_URL"]`` (the request's own
scheme and host when it is unset; the page cache keys pages by host, so a page
never carries another host's address). A canonical address keeps only the
query parameters that choose what a page lists (``q``, ``category``, ``page``
past 1): tracking parameters such as ``utm_source`` and ``page=1`` are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from html import unescape
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from marketplace_core.accounts.emails import absolute_url, site_url
from marketplace_core.catalog.models import Product
from marketplace_core.money import to_decimal
from marketplace_core.safe_markdown import render_markdown

#: The query parameters a canonical address may keep, in this order.
CANONICAL_PARAMS = ("q", "category", "page")
#: The longest description in a link preview (Open Graph and Twitter).
SUMMARY_CHARS = 200

_TAG = re.compile(r"<[^>]*>")
# What json.dumps leaves that could end a <script> element or start markup in it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026",
                   0x2028: "\\u2028", 0x2029: "\\u2029"}


def absolute(request: HttpRequest, path: str) -> str:
    """``path`` (from ``reverse()``) as an absolute address on the configured site;
    an address that already is one (a file on a CDN or bucket) stays as it is."""
    if path.startswith(("https://", "http://", "//")):
        return f"https:{path}" if path.startswith("//") else path
    return absolute_url(site_url(request), path)


def canonical_url(request: HttpRequest, path: str | None = None,
                  params: Mapping[str, Any] | None = None) -> str:
    """The canonical address of ``path`` (default: the request's) with only the
    :data:`CANONICAL_PARAMS` of ``params`` (default: the request's query), in a
    stable order; ``page`` only past 1."""
    query = request.GET if params is None else params
    pairs: list[tuple[str, str]] = []
    for name in CANONICAL_PARAMS:
        values: Iterable[Any] = (query.getlist(name) if hasattr(query, "getlist")
                                 else _as_list(query.get(name)))
        kept = [str(value) for value in values if str(value).strip()]
        if name == "category":
            kept = sorted(set(kept))
        elif name == "page":
            kept = [value for value in kept[:1] if value.isdigit() and int(value) > 1]
        else:
            kept = kept[:1]
        pairs.extend((name, value) for value in kept)
    address = absolute(request, path if path is not None else request.path)
    return f"{address}?{urlencode(pairs)}" if pairs else address


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def summary(markdown_source: str, chars: int = SUMMARY_CHARS) -> str:
    """Plain text of a seller's Markdown (rendered sanitized, tags stripped), cut
    to ``chars`` at a word: a link preview's description."""
    return text_of(render_markdown(markdown_source), chars)


def text_of(html: str, chars: int = SUMMARY_CHARS) -> str:
    """The text of sanitized ``html`` (:func:`render_markdown`'s: well-formed, no
    comments or scripts), whitespace collapsed, cut to ``chars`` at a word.
    A regular expression, not ``strip_tags`` (an HTML parser: 0.3 ms a call)."""
    if not html:
        return ""
    text = " ".join(unescape(_TAG.sub(" ", html)).split())
    return Truncator(text).chars(chars)


def decimal_price(product: Product) -> str:
    """The price in major units as schema.org writes it (``"12.50"``, ``"500"`` for JPY)."""
    return str(to_decimal(product.price, product.currency))


def product_json_ld(product: Product, *, url: str, seller_name: str, seller_url: str,
                    image: str = "", description: str | None = None) -> dict[str, Any]:
    """schema.org ``Product`` with its ``Offer`` (price, currency, availability,
    address, seller) for a buyable product page; ``description``: the text of
    its description when the caller has it (else rendered here)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": (description if description is not None
                        else summary(product.description, 500)),
        "url": url,
        "sku": product.slug,
        "offers": {
            "@type": "Offer",
            "price": decimal_price(product),
            "priceCurrency": product.currency,
            "availability": ("https://schema.org/InStock" if product.is_buyable
                             else "https://schema.org/Discontinued"),
            "url": url,
            "seller": {"@type": "Organization", "name": seller_name,
                       **({"url": seller_url} if seller_url else {})},
        },
    }
    categories = product.category_name_list
    if categories:
        data["category"] = ", ".join(categories)
    if image:
        data["image"] = image
    return data


def json_for_script(data: Any) -> SafeString:
    """``data`` as JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&``
    are ``\\u`` escapes (a ``</script>`` in a seller's title cannot end the
    element), still the same JSON to any parser."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_SCRIPT_ESCAPES)
    return mark_safe(text)  # noqa: S308  (every character that could leave the element is escaped)
