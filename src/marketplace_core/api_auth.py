"""Authentication of the API v1: sellers' API keys and the site's own session.

The public interface for plugins' routers::

    from marketplace_core.api_auth import api_key_auth

    router = Router(auth=api_key_auth("read"))

    @router.post("/things", auth=api_key_auth("write"))
    def create_thing(request, payload: ThingIn):
        seller = request.auth.seller   # request.auth is the ApiKey

:func:`api_key_auth` returns django-ninja auth objects, so the OpenAPI
document declares the two ways to send a key: ``Authorization: Bearer <key>``
and ``X-API-Key: <key>``. A key authenticates only while it is not revoked and
its seller is an active user with the seller role. Every authenticated request
counts against the key's rate (``MARKETPLACE["API_RATE_LIMIT"]``), and every
wrong key against the client address's ``ADDRESS_RATE_LIMITS["api_key_failures"]``;
beyond either the answer is 429 with ``Retry-After``. A key without the scope an operation
needs gets 403. All refusals carry the API's error body
(``{"detail": ..., "code": ...}``, see :mod:`marketplace_core.api_v1.errors`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from marketplace_core.accounts.throttling import RateLimit, parse_rate
from marketplace_core.api_keys.models import ApiKey
from marketplace_core.api_keys.services import authenticate
from marketplace_core.conf import conf

__all__ = ["ApiError", "ApiKey", "api_key_auth", "session_auth"]

#: The site's own pages (order status polling, dashboard data): Django's session,
#: with CSRF checked on unsafe methods (django-ninja's ``SessionAuth``).
session_auth = django_auth


class ApiError(Exception):
    """An API refusal: answered as ``status`` with ``{"detail", "code"}`` (and ``headers``)."""

    def __init__(self, status: int, detail: str, code: str,
                 headers: dict[str, str] | None = None,
                 errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers or {}
        #: Field errors of a 422: ``{"field", "message", "code"}`` each.
        self.errors = errors


def _rate_limit() -> RateLimit:
    count, period = parse_rate(conf.API_RATE_LIMIT) or (120, 60)  # E050 reports a bad value
    return RateLimit("marketplace.api.key", count, period)


def _check(request: HttpRequest, token: str, scope: str) -> ApiKey | None:
    # Wrong keys are counted per client address, like wrong passwords: guessing is slowed
    # down, and a broken integration's flood is refused before any lookup.
    failures = RateLimit.per_address("api_key_failures")
    refused = failures.peek(request)
    if refused.exhausted:
        raise ApiError(429, f"Too many requests with invalid API keys from this address; try "
                            f"again in {refused.retry_after} seconds.", "rate_limited",
                       {"Retry-After": str(refused.retry_after)})
    key = authenticate(token)
    if key is None:
        failures.hit(request)
        return None
    # Counted by the hash, not the id: an id can come back after a rollback.
    usage = _rate_limit().usage(key.secret_hash, increment=True)
    if usage.exceeded:
        raise ApiError(429, f"This key made more than {usage.limit} requests in the current "
                            f"window; try again in {usage.retry_after} seconds.",
                       "rate_limited", {"Retry-After": str(usage.retry_after)})
    if not key.allows(scope):
        raise ApiError(403, "This key may only read; create a key with write access "
                            "for this operation.", "scope_required")
    return key


class ApiKeyBearer(HttpBearer):
    """``Authorization: Bearer <key>``."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return _check(request, token, self.scope)


class ApiKeyHeader(APIKeyHeader):
    """``X-API-Key: <key>``."""

    param_name = "X-API-Key"

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return _check(request, key, self.scope) if key else None


def api_key_auth(scope: str = "read") -> list[Any]:
    """Auth objects for ``Router(auth=...)`` or an operation's ``auth=``: a seller's key
    with ``scope`` (``"read"``, or ``"write"`` for operations that change something).

    In the operation, ``request.auth`` is the :class:`~marketplace_core.api_keys.models.ApiKey`
    and ``request.auth.seller`` its seller; look objects up through that seller.
    """
    if scope not in (ApiKey.Scope.READ, ApiKey.Scope.WRITE):
        raise ValueError(f"scope must be 'read' or 'write', not {scope!r}")
    return [ApiKeyBearer(scope), ApiKeyHeader(scope)]
