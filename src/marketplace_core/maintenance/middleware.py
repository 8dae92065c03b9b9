"""``UnderConstructionMiddleware``: serve a maintenance page while the site is down.

Place it after ``AuthenticationMiddleware`` (staff users pass). When off it
costs one cache read per request and never a database query. When on, a
request passes if it is for a view marked ``@maintenance_exempt`` (payment
webhooks, the health endpoint), for a static file, from a staff user, carries
the secret bypass parameter (which sets a signed cookie for the following
pages), or a plugin's ``resolve_maintenance_bypass`` lets it through. Everyone
else gets the maintenance page with status 503 and ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from marketplace_core.conf import conf
from marketplace_core.maintenance.state import is_enabled

BYPASS_PARAM = "maintenance_bypass"
BYPASS_COOKIE = "marketplace_maintenance_bypass"
BYPASS_SALT = "marketplace_core.maintenance_bypass"
#: How long a bypass cookie lets its holder through, in seconds.
BYPASS_COOKIE_AGE = 12 * 3600


class UnderConstructionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_enabled():
            return self.get_response(request)
        request._marketplace_maintenance = True  # type: ignore[attr-defined]
        static_url = getattr(settings, "STATIC_URL", None) or "/static/"
        if request.path.startswith("/" + static_url.lstrip("/")):
            return self.get_response(request)
        if self._secret_matches(request.GET.get(BYPASS_PARAM, "")):
            response = self.get_response(request)
            response.set_signed_cookie(
                BYPASS_COOKIE, _cookie_value(), salt=BYPASS_SALT, max_age=BYPASS_COOKIE_AGE,
                secure=request.is_secure(), httponly=True, samesite="Lax",
            )
            return response
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not getattr(request, "_marketplace_maintenance", False):
            return None
        if getattr(view_func, "maintenance_exempt", False) or self._passes(request):
            return None
        return maintenance_response(request)

    @staticmethod
    def _secret_matches(given: str) -> bool:
        secret = conf.MAINTENANCE_BYPASS_SECRET
        return bool(secret and given) and hmac.compare_digest(given.encode(), secret.encode())

    def _passes(self, request: HttpRequest) -> bool:
        if self._secret_matches(request.GET.get(BYPASS_PARAM, "")):
            return True
        try:
            value = request.get_signed_cookie(
                BYPASS_COOKIE, salt=BYPASS_SALT, max_age=BYPASS_COOKIE_AGE
            )
            if conf.MAINTENANCE_BYPASS_SECRET and hmac.compare_digest(value, _cookie_value()):
                return True
        except (KeyError, signing.BadSignature):
            pass
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return True
        from marketplace_core.plugins.manager import get_plugin_manager

        return bool(get_plugin_manager().hook.resolve_maintenance_bypass(request=request))


def _cookie_value() -> str:
    """Tied to the current secret, so rotating the secret ends every bypass."""
    digest = hashlib.sha256(b"bypass:" + conf.MAINTENANCE_BYPASS_SECRET.encode())
    return digest.hexdigest()[:32]


def maintenance_response(request: HttpRequest) -> HttpResponse:
    """The 503 maintenance page."""
    html = render_to_string(
        "marketplace_core/maintenance.html", {"site_name": conf.SITE_NAME}, request=None
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(conf.MAINTENANCE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
