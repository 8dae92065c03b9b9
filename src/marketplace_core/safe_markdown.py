"""Markdown from sellers, rendered to HTML that is safe to put in any page.

Sellers write release notes (and, later, product descriptions) in Markdown.
:func:`render_markdown` converts it with Python-Markdown and then sanitizes
the result with ``nh3`` (the Rust ``ammonia`` sanitizer): only the tags and
attributes in :data:`ALLOWED_TAGS` / :data:`ALLOWED_ATTRIBUTES` survive, link
schemes are limited to ``http``, ``https`` and ``mailto`` (``javascript:``
and ``data:`` links lose their ``href``), and every link gets
``rel="nofollow noopener noreferrer"``. Raw HTML in the input is escaped by
the converter's own rule first (so ``<script>`` shows as text), and the
sanitizer is the guarantee either way.

Templates use the ``markdown`` filter of the ``marketplace_markdown`` library.
"""

from __future__ import annotations

import re
import threading

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset({
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"},
                      "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Longest input rendered; more is cut (a release note, not a book).
MAX_SOURCE_CHARS = 20_000


class _EscapeRawHtml(markdown_lib.Extension):
    """Raw HTML in the source is shown as text instead of passed through."""

    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


_local = threading.local()


def _converter() -> markdown_lib.Markdown:
    """This thread's converter, made once (making one, its extensions looked up by
    name, cost 0.4 ms: more than converting a product's description)."""
    converter: markdown_lib.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown_lib.Markdown(
            extensions=[_EscapeRawHtml(), "markdown.extensions.tables",
                        "markdown.extensions.sane_lists"],
            output_format="html")
    return converter


def render_markdown(source: str) -> SafeString:
    """``source`` (Markdown) as sanitized HTML; empty for empty input.

    Headings start at ``<h3>`` (a note sits under the page's own headings).
    """
    if not source or not source.strip():
        return mark_safe("")
    html = _converter().reset().convert(source[:MAX_SOURCE_CHARS])
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    cleaned = nh3.clean(
        html, tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES), link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308  (sanitized by nh3 just above)


# Markdown's marks, for plain_text: images, links (their text kept), marks at a
# line's start (headings, quotes, list bullets and numbers), emphasis and code.
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)", re.M)
_INLINE_MARK = re.compile(r"(\*{1,3}|_{2,3}|`+|~~)")


def plain_text(source: str) -> str:
    """``source`` (Markdown) as plain text for an excerpt, without rendering it:
    link texts kept, images and the marks of emphasis, code, headings, quotes
    and lists dropped, whitespace collapsed. Not HTML: escape it as any text
    (autoescaping does)."""
    if not source:
        return ""
    text = _LINK.sub(r"\1", _IMAGE.sub("", source[:MAX_SOURCE_CHARS]))
    text = _INLINE_MARK.sub("", _LINE_MARK.sub("", text))
    return " ".join(text.split())
