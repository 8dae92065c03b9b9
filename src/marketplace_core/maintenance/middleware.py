"""``UnderConstructionMiddleware``: serve a maintenance page while the site is down.

Place it after ``AuthenticationMiddleware`` (staff users pass). When off it
costs no cache read and at most one database query per process per second
(:mod:`~marketplace_core.maintenance.state`); it touches neither the session
nor ``request.user``.

``MARKETPLACE["MAINTENANCE_SCOPE"]`` says which URLs close: ``"marketplace"``
(the default) only the framework's, those resolved in the ``marketplace``,
``marketplace-api`` or an enabled plugin's namespace, so the rest of a project
(its blog, its admin) keeps working; ``"site"`` every URL, unknown ones too.

When on, a request passes if

- it is outside the scope (with ``"marketplace"``: not one of the framework's URLs),
- it is for a static file (a path under ``STATIC_URL``),
- it resolves to a view marked ``@maintenance_exempt`` (payment webhooks, the
  health endpoint),
- it resolves to a sign-in page: core's ``marketplace:login`` or the login of
  any admin site, so staff can sign in while the site is closed (anyone may see
  and post the form; a user who is not staff still gets the maintenance page
  on every other URL afterwards),
- it carries the secret ``?maintenance_bypass=<secret>`` (compared in constant
  time); the response then sets a signed cookie so the following pages pass,
- it carries that cookie, signed for the *current* secret (rotating the secret
  ends every bypass),
- it comes from a staff user, or
- a plugin's ``resolve_maintenance_bypass`` returns ``True``.

Everyone else gets the maintenance page with status 503 and ``Retry-After``,
whatever the URL within the scope: the decision is taken before the view (and before CSRF
checks, unknown URLs or login redirects) could answer differently. The page
shows the message stored with the run-time switch, if any.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, ResolverMatch, resolve

from marketplace_core.conf import conf
from marketplace_core.maintenance.state import is_enabled, runtime_state

BYPASS_PARAM = "maintenance_bypass"
BYPASS_COOKIE = "marketplace_maintenance_bypass"
BYPASS_SALT = "marketplace_core.maintenance_bypass"
#: How long a bypass cookie lets its holder through, in seconds.
BYPASS_COOKIE_AGE = 12 * 3600
#: Apps whose ``login`` URL stays reachable, so staff can sign in: core's and
#: every ``AdminSite``'s (their app name is always ``admin``).
SIGN_IN_APPS = (["marketplace"], ["admin"])


class UnderConstructionMiddleware:
    """Answer 503 with the maintenance page while maintenance mode is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_enabled():
            return self.get_response(request)
        # Templates show staff (and other bypassers) that the site is closed.
        request.maintenance_mode = True  # type: ignore[attr-defined]
        if not self._passes(request):
            return maintenance_response(request)
        response = self.get_response(request)
        if _secret_matches(request.GET.get(BYPASS_PARAM, "")):
            response.set_signed_cookie(
                BYPASS_COOKIE, _cookie_value(), salt=BYPASS_SALT, max_age=BYPASS_COOKIE_AGE,
                secure=request.is_secure(), httponly=True, samesite="Lax",
            )
        return response

    def _passes(self, request: HttpRequest) -> bool:
        """Whether ``request`` may reach its view while maintenance mode is on.

        Cheap checks first; ``request.user`` (a session and a user query) and
        the plugin hook only when nothing else decided.
        """
        if _is_static(request):
            return True
        match = _resolve(request)
        if conf.MAINTENANCE_SCOPE == "marketplace" and not _is_framework_url(match):
            return True
        if match is not None and _is_exempt_view(match):
            return True
        if _secret_matches(request.GET.get(BYPASS_PARAM, "")) or _has_bypass_cookie(request):
            return True
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return True
        from marketplace_core.plugins.manager import get_plugin_manager

        return get_plugin_manager().hook.resolve_maintenance_bypass(request=request) is True


def _is_static(request: HttpRequest) -> bool:
    static_url = getattr(settings, "STATIC_URL", None) or ""
    if "://" in static_url or static_url.startswith("//"):
        return False  # served from another host (a CDN): never through this site
    prefix = "/" + static_url.strip("/") + "/"
    # A STATIC_URL of "/" would otherwise exempt the whole site.
    return prefix != "//" and request.path.startswith(prefix)


def _resolve(request: HttpRequest) -> ResolverMatch | None:
    try:
        return resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return None


def _is_framework_url(match: ResolverMatch | None) -> bool:
    from marketplace_core.urls import framework_namespaces

    return match is not None and not framework_namespaces().isdisjoint(match.namespaces)


def _is_exempt_view(match: ResolverMatch) -> bool:
    return bool(getattr(match.func, "maintenance_exempt", False)) or _is_sign_in(match)


def _is_sign_in(match: ResolverMatch) -> bool:
    return match.url_name == "login" and match.app_names in SIGN_IN_APPS


def _secret_matches(given: str) -> bool:
    """Constant-time comparison with the configured secret (never matches when unset)."""
    secret = conf.MAINTENANCE_BYPASS_SECRET
    return bool(secret and given) and hmac.compare_digest(given.encode(), secret.encode())


def _has_bypass_cookie(request: HttpRequest) -> bool:
    if not conf.MAINTENANCE_BYPASS_SECRET or BYPASS_COOKIE not in request.COOKIES:
        return False
    try:
        value = request.get_signed_cookie(
            BYPASS_COOKIE, salt=BYPASS_SALT, max_age=BYPASS_COOKIE_AGE
        )
    except signing.BadSignature:
        return False
    return value is not None and hmac.compare_digest(value.encode(), _cookie_value().encode())


def _cookie_value() -> str:
    """Tied to the current secret, so rotating the secret ends every bypass."""
    digest = hashlib.sha256(b"bypass:" + conf.MAINTENANCE_BYPASS_SECRET.encode())
    return digest.hexdigest()[:32]


def _is_api_operation(request: HttpRequest) -> bool:
    """An API v1 operation (its docs page is a page for people)."""
    from marketplace_core.api import API_NAMESPACE

    match = _resolve(request)
    return (match is not None and API_NAMESPACE in match.namespaces
            and match.url_name != "openapi-view")


def maintenance_response(request: HttpRequest) -> HttpResponse:
    """The 503 maintenance page, with ``Retry-After`` and never cached; for an API
    operation, the API's error body (``code`` ``"maintenance"``)."""
    message = runtime_state().message
    if _is_api_operation(request):
        response: HttpResponse = JsonResponse(
            {"detail": message or f"{conf.SITE_NAME} is closed for maintenance; try again "
                                  "later.", "code": "maintenance"}, status=503)
    else:
        html = render_to_string(
            "marketplace_core/maintenance.html",
            {"site_name": conf.SITE_NAME, "message": message},
            request=None,
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(conf.MAINTENANCE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    # An expected 503, not a server error: keep it out of django.request's error
    # log (which mails ADMINS) or every visitor during maintenance would page someone.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
