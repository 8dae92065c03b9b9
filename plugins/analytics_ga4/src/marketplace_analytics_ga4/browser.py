"""What the plugin reads from the visitor's browser and puts in it, through core's hooks.

- **Checkout** (``checkout_started``): when a buyer starts a checkout with GA's
  ``_ga`` cookie, the client id in it is kept with the order
  (:class:`~.models.CheckoutClient`), for the server-side purchase event. One
  write per checkout with the cookie; nothing otherwise.
- **Page tag** (``head_tags``): with ``PAGE_TAG`` and a ``MEASUREMENT_ID``,
  storefront pages (home, product list and pages, checkout, payment success)
  get gtag.js in their ``<head>``, each script with the request's CSP nonce
  (Django's own CSP middleware, or django-csp's ``request.csp_nonce``). With
  ``REQUIRE_CONSENT`` the tag is only added once the ``CONSENT_COOKIE`` says
  ``granted``. Per request (core fills it in cached pages for every visitor),
  no query.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from marketplace_analytics_ga4.conf import conf

if TYPE_CHECKING:
    from marketplace_core.ownership.models import Order

#: ``GA1.1.1234567890.1700000000``: the client id is the last two numbers.
_GA_COOKIE = re.compile(r"GA\d+\.\d+\.(?P<id>\d{1,20}\.\d{1,12})")
STOREFRONT_VIEWS = frozenset({"marketplace:home", "marketplace:product_list",
                              "marketplace:product_detail", "marketplace:checkout",
                              "marketplace:payment_success"})
CONSENT_VALUES = frozenset({"granted", "1", "yes", "true"})


def client_id_from_cookie(value: str | None) -> str | None:
    """The client id in a ``_ga`` cookie value, or ``None`` if it is not GA's."""
    match = _GA_COOKIE.fullmatch(value or "")
    return match["id"] if match else None


def csp_nonce(request: HttpRequest) -> str:
    """The request's CSP nonce ("" without CSP): Django's (6.0+) or django-csp's."""
    try:
        from django.middleware.csp import get_nonce  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        nonce = None
    else:
        nonce = get_nonce(request)
    if nonce is None:
        nonce = getattr(request, "csp_nonce", None)
    # str(): both are lazy, and a nonce nobody has read yet is falsy (and left out of the
    # header); reading it here puts it in both the tag and the header.
    return "" if nonce is None else str(nonce)


def page_tag(request: HttpRequest) -> SafeString | None:
    """The gtag.js tag for ``request``'s page, or ``None`` when it gets none."""
    if not conf.PAGE_TAG:
        return None
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in STOREFRONT_VIEWS:
        return None
    if conf.REQUIRE_CONSENT and (request.COOKIES.get(conf.CONSENT_COOKIE, "").strip().lower()
                                 not in CONSENT_VALUES):
        return None
    nonce = csp_nonce(request)
    return format_html(
        '<script async src="{}?id={}"{}></script>'
        '<script src="{}" data-measurement-id="{}"{}></script>',
        conf.TAG_URL, conf.MEASUREMENT_ID, format_html(' nonce="{}"', nonce) if nonce else "",
        static("marketplace_analytics_ga4/gtag-config.js"), conf.MEASUREMENT_ID,
        format_html(' nonce="{}"', nonce) if nonce else "",
    )


def remember_client(order: Order, request: HttpRequest) -> None:
    """Keep the client id of ``request``'s ``_ga`` cookie with ``order`` (the
    ``checkout_started`` hook): one write when there is one, nothing otherwise."""
    client_id = client_id_from_cookie(request.COOKIES.get("_ga"))
    if client_id is None:
        return
    from marketplace_analytics_ga4.models import CheckoutClient

    CheckoutClient.objects.update_or_create(order_reference=order.reference,
                                            defaults={"client_id": client_id})
