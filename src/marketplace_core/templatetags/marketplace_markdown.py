"""``{% load marketplace_markdown %}``: ``{{ text|markdown }}`` renders a seller's
Markdown as sanitized HTML (:func:`marketplace_core.safe_markdown.render_markdown`)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from marketplace_core.safe_markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: object) -> SafeString:
    """Sanitized HTML of Markdown ``value`` (``None`` and empty give nothing)."""
    return render_markdown("" if value is None else str(value))
