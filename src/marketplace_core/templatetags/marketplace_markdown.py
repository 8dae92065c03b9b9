"""``{% load marketplace_markdown %}``: ``{{ text|markdown }}`` renders a seller's
Markdown as sanitized HTML (:func:`marketplace_core.safe_markdown.render_markdown`);
``{{ text|markdown_text }}`` is its plain text for an excerpt (a card), without
rendering it (:func:`marketplace_core.safe_markdown.plain_text`)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from marketplace_core.safe_markdown import plain_text, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: object) -> SafeString:
    """Sanitized HTML of Markdown ``value`` (``None`` and empty give nothing)."""
    return render_markdown("" if value is None else str(value))


@register.filter(name="markdown_text")
def markdown_text_filter(value: object) -> str:
    """Plain text of Markdown ``value``, for excerpts (autoescaped as any text)."""
    return plain_text("" if value is None else str(value))
