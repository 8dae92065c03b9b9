"""``{% marketplace_site_name %}``: the configured site name (``MARKETPLACE["SITE_NAME"]``)
for templates rendered without a request, such as the 400 and 500 pages and the
maintenance page (no context processor runs there, and nothing touches the database)."""

from __future__ import annotations

from django import template

from marketplace_core.conf import conf

register = template.Library()


@register.simple_tag
def marketplace_site_name() -> str:
    return str(conf.SITE_NAME)
