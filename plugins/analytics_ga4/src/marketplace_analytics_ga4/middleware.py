"""``GA4Middleware``: the ``_ga`` client id at checkout, and the optional gtag.js page tag.

Add it after the session, auth and (if any) CSP middleware::

    MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                  "django.middleware.csp.ContentSecurityPolicyMiddleware",  # if used
                  "marketplace_analytics_ga4.middleware.GA4Middleware"]

- **Checkout**: when a signed-in buyer starts a checkout (``POST`` to
  ``marketplace:checkout``) with GA's ``_ga`` cookie, the client id in it is
  kept with the order (:class:`~.models.CheckoutClient`), for the server-side
  purchase event. One query and one write per checkout; nothing otherwise.
- **Page tag**: with ``PAGE_TAG`` and a ``MEASUREMENT_ID``, storefront pages
  (home, product list and pages, checkout, payment success) get gtag.js before
  ``</head>``, each script with the request's CSP nonce (Django's own CSP
  middleware, or django-csp's ``request.csp_nonce``). With ``REQUIRE_CONSENT``
  the tag is only added once the ``CONSENT_COOKIE`` says ``granted``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.html import format_html

from marketplace_analytics_ga4.conf import conf

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


def page_tag(request: HttpRequest) -> str:
    """The gtag.js tag for ``request``'s page, or "" when it gets none."""
    if not conf.PAGE_TAG:
        return ""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in STOREFRONT_VIEWS:
        return ""
    if conf.REQUIRE_CONSENT and (request.COOKIES.get(conf.CONSENT_COOKIE, "").strip().lower()
                                 not in CONSENT_VALUES):
        return ""
    nonce = csp_nonce(request)
    return format_html(
        '<script async src="{}?id={}"{}></script>'
        '<script src="{}" data-measurement-id="{}"{}></script>',
        conf.TAG_URL, conf.MEASUREMENT_ID, format_html(' nonce="{}"', nonce) if nonce else "",
        static("marketplace_analytics_ga4/gtag-config.js"), conf.MEASUREMENT_ID,
        format_html(' nonce="{}"', nonce) if nonce else "",
    )


class GA4Middleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name == "marketplace:checkout":
            self._capture_client(request, match.kwargs)
        if (response.status_code == 200 and not response.streaming
                and response.get("Content-Type", "").startswith("text/html")):
            tag = page_tag(request)
            if tag:
                self._insert(response, tag)
        return response

    @staticmethod
    def _capture_client(request: HttpRequest, kwargs: dict[str, Any]) -> None:
        client_id = client_id_from_cookie(request.COOKIES.get("_ga"))
        user = getattr(request, "user", None)
        if request.method != "POST" or client_id is None or user is None or not getattr(
                user, "is_authenticated", False):
            return
        from marketplace_analytics_ga4.models import CheckoutClient
        from marketplace_core.ownership.models import Order

        reference = (Order.objects.filter(buyer_id=user.pk, product__slug=kwargs.get("slug"),
                                          status=Order.Status.PENDING)
                     .order_by("-created_at", "-id").values_list("reference", flat=True).first())
        if reference is not None:
            CheckoutClient.objects.update_or_create(order_reference=reference,
                                                    defaults={"client_id": client_id})

    @staticmethod
    def _insert(response: HttpResponse, tag: str) -> None:
        content = response.content.decode(response.charset or "utf-8")
        position = content.lower().rfind("</head>")
        if position < 0:
            return
        response.content = (content[:position] + tag + content[position:]).encode(
            response.charset or "utf-8")
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
