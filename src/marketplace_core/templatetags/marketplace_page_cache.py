"""Per-visitor holes in cached storefront pages (:mod:`marketplace_core.catalog.page_cache`).

- ``{% user_part "name" %}...{% end_user_part %}``: what depends on who is
  looking (account links, banners, messages, Buy or Download). Rendered as
  usual, except in a cached page's shell, which keeps a marker that is filled
  for each visitor by rendering the block again with their request. ``name``
  is unique within its template; the block sees the request's context and the
  view's values the page cache keeps (``product``, ``owns_product``).
- ``{% marketplace_head_tags %}``: the plugins' ``head_tags`` for the request
  (in ``includes/wiring.html``); a shell keeps a marker, filled per request.
- ``{% owned_badge product %}``: "Owned" when the visitor owns ``product``
  (one query per page, whatever the number of cards).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token
from django.utils.safestring import mark_safe

from marketplace_core.catalog.page_cache import (
    HEAD_MARKER,
    OWNED_BADGE,
    SHELL_FLAG,
    UserPartNode,
    head_tags,
    owned_marker,
    owned_product_ids,
)

register = template.Library()


@register.tag("user_part")
def user_part(parser: Parser, token: Token) -> UserPartNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('Usage: {% user_part "name" %}...{% end_user_part %}')
    name = bits[1][1:-1]
    if not name.replace("_", "").replace("-", "").isalnum():
        raise template.TemplateSyntaxError(f"user_part names are letters, digits, - and _: "
                                           f"{name!r}")
    nodelist = parser.parse(("end_user_part",))
    parser.delete_first_token()
    return UserPartNode(name, nodelist)


@register.simple_tag(takes_context=True)
def owned_badge(context: Any, product: Any) -> str:
    if context.get(SHELL_FLAG) is not None:
        return mark_safe(owned_marker(int(product.pk)))  # noqa: S308
    request = context.get("request")
    if request is not None and product.pk in owned_product_ids(request):
        return mark_safe(OWNED_BADGE)  # noqa: S308
    return ""


@register.simple_tag(takes_context=True)
def marketplace_head_tags(context: Any) -> str:
    if context.get(SHELL_FLAG) is not None:
        return mark_safe(HEAD_MARKER)  # noqa: S308
    request = context.get("request")
    return head_tags(request) if request is not None else ""
