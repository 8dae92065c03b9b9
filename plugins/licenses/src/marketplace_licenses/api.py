"""The public license API, shaped like Lemon Squeezy's License API.

``POST activate`` (``license_key``, ``instance_name``), ``POST validate``
(``license_key``, optional ``instance_id``), ``POST deactivate``
(``license_key``, ``instance_id``): form-encoded or JSON bodies, no session,
no CSRF token (the key is the credential). Answers carry the same fields as
Lemon Squeezy's (``activated``/``valid``/``deactivated``, ``error``,
``license_key``, ``instance``, ``meta``) so its clients port by changing the
base URL. A wrong key and a disabled key get the same 404 body. Each request
counts against its client address and against the key it names; past either
limit: 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Router, Schema

from marketplace_core.accounts.throttling import RateLimit, Usage
from marketplace_core.people.users import email_of
from marketplace_licenses import keys, services
from marketplace_licenses.conf import conf
from marketplace_licenses.models import Activation, LicenseKey
from marketplace_licenses.services import KeyState, LicenseError

#: The body of every answer to a request over a rate limit.
TOO_MANY = "Too many requests: try again later."


class LicenseKeyOut(Schema):
    id: int
    status: str
    key: str
    activation_limit: int | None
    activation_usage: int
    created_at: str
    expires_at: str | None


class InstanceOut(Schema):
    id: str
    name: str
    created_at: str


class MetaOut(Schema):
    product_id: int
    product_name: str
    order_id: int
    customer_id: int
    #: Masked (``b***@example.com``): keys are shared and leak; the full address is not needed.
    customer_email: str


class ActivateOut(Schema):
    activated: bool
    error: str | None = None
    license_key: LicenseKeyOut | None = None
    instance: InstanceOut | None = None
    meta: MetaOut | None = None


class ValidateOut(Schema):
    valid: bool
    error: str | None = None
    license_key: LicenseKeyOut | None = None
    instance: InstanceOut | None = None
    meta: MetaOut | None = None


class DeactivateOut(Schema):
    deactivated: bool
    error: str | None = None
    license_key: LicenseKeyOut | None = None
    meta: MetaOut | None = None


def _body(request: HttpRequest) -> dict[str, str]:
    """The request's fields, from JSON or from a form; strings only."""
    if (request.content_type or "").startswith("application/json"):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {name: value for name, value in data.items() if isinstance(value, str)}
    return {name: request.POST.get(name, "") for name in request.POST}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def masked_email(address: str) -> str:
    """``bea@example.com`` → ``b***@example.com``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""


def api_status(key: LicenseKey, usage: int) -> str:
    """Lemon Squeezy's statuses: a usable key is ``inactive`` until its first
    activation, then ``active``; else ``expired`` or ``disabled``."""
    status = key.status_at(timezone.now())
    if status == LicenseKey.Status.ACTIVE and usage == 0:
        return "inactive"
    return status.value


def _key_out(key: LicenseKey, usage: int) -> dict[str, Any]:
    return {
        "id": key.pk, "status": api_status(key, usage), "key": key.key,
        "activation_limit": key.activation_limit, "activation_usage": usage,
        "created_at": _iso(key.created_at), "expires_at": _iso(key.expires_at),
    }


def _instance_out(activation: Activation | None) -> dict[str, Any] | None:
    if activation is None:
        return None
    return {"id": str(activation.instance_id), "name": activation.name,
            "created_at": _iso(activation.created_at)}


def _meta(key: LicenseKey) -> dict[str, Any]:
    purchase = key.purchase
    return {"product_id": key.product_id, "product_name": key.product.title,
            "order_id": purchase.order_id, "customer_id": purchase.buyer_id,
            "customer_email": masked_email(email_of(purchase.buyer))}


def _answer(flag: str, state: KeyState, *, with_instance: bool = True) -> JsonResponse:
    body: dict[str, Any] = {flag: True, "error": None,
                            "license_key": _key_out(state.license_key, state.activation_usage)}
    if with_instance:
        body["instance"] = _instance_out(state.instance)
    body["meta"] = _meta(state.license_key)
    return JsonResponse(body)


def _refusal(flag: str, error: LicenseError, *, with_instance: bool = True) -> JsonResponse:
    """The error body; the key's data only where :class:`LicenseError` carries it."""
    key = error.license_key
    body: dict[str, Any] = {flag: False, "error": error.message,
                            "license_key": None if key is None
                            else _key_out(key, services.activation_usage(key))}
    if with_instance:
        body["instance"] = None
    body["meta"] = None if key is None else _meta(key)
    return JsonResponse(body, status=error.status)


def address_limit() -> RateLimit:
    count, period = conf.ADDRESS_RATE_LIMIT
    return RateLimit("licenses.api.address", count, period)


def key_limit() -> RateLimit:
    count, period = conf.KEY_RATE_LIMIT
    return RateLimit("licenses.api.key", count, period)


def _throttled(request: HttpRequest, key_text: str, flag: str) -> JsonResponse | None:
    """Count the request against its address and its key; a 429 past either limit."""
    usages: list[Usage] = [address_limit().hit(request)]
    if key_text:
        usages.append(key_limit().usage(keys.hash_of(key_text), increment=True))
    over = [usage for usage in usages if usage.exceeded]
    if not over:
        return None
    response = JsonResponse({flag: False, "error": TOO_MANY}, status=429)
    response["Retry-After"] = str(max(usage.retry_after for usage in over))
    return response


def _missing_key(flag: str, *, with_instance: bool = True) -> JsonResponse:
    body: dict[str, Any] = {flag: False, "error": "license_key is required.",
                            "license_key": None}
    if with_instance:
        body["instance"] = None
    body["meta"] = None
    return JsonResponse(body, status=422)


_FORM_OR_JSON = {
    "requestBody": {
        "content": {
            media: {"schema": {"type": "object", "properties": {
                "license_key": {"type": "string"},
                "instance_name": {"type": "string"},
                "instance_id": {"type": "string"},
            }, "required": ["license_key"]}}
            for media in ("application/x-www-form-urlencoded", "application/json")
        },
    },
}


def _handle(request: HttpRequest, flag: str,
            call: Callable[[str, dict[str, str]], KeyState], *,
            with_instance: bool = True) -> JsonResponse:
    """One API request: read the body, count it against the limits, require a
    key, run ``call(key, fields)`` and answer with its state or its refusal."""
    data = _body(request)
    key_text = data.get("license_key", "")
    refused = _throttled(request, key_text, flag)
    if refused is not None:
        return refused
    if not key_text:
        return _missing_key(flag, with_instance=with_instance)
    try:
        state = call(key_text, data)
    except LicenseError as exc:
        return _refusal(flag, exc, with_instance=with_instance)
    return _answer(flag, state, with_instance=with_instance)


def build_router() -> Router:
    """A new router of the license API (a router cannot be attached twice)."""
    router = Router(tags=["licenses"])
    errors = {400, 404, 422, 429}

    @router.post("/activate", url_name="licenses_activate",
                 response={200: ActivateOut, **dict.fromkeys(errors, ActivateOut)},
                 openapi_extra=_FORM_OR_JSON)
    def activate(request: HttpRequest) -> JsonResponse:
        """Activate a license key on a new instance (``license_key``, ``instance_name``)."""
        return _handle(request, "activated", lambda key, data: services.activate(
            key, data.get("instance_name", "")))

    @router.post("/validate", url_name="licenses_validate",
                 response={200: ValidateOut, **dict.fromkeys(errors, ValidateOut)},
                 openapi_extra=_FORM_OR_JSON)
    def validate(request: HttpRequest) -> JsonResponse:
        """Whether a license key (and optionally one of its instances) is valid."""
        return _handle(request, "valid", lambda key, data: services.validate(
            key, data.get("instance_id") or None))

    @router.post("/deactivate", url_name="licenses_deactivate",
                 response={200: DeactivateOut, **dict.fromkeys(errors, DeactivateOut)},
                 openapi_extra=_FORM_OR_JSON)
    def deactivate(request: HttpRequest) -> JsonResponse:
        """Deactivate one instance of a license key (``license_key``, ``instance_id``)."""
        return _handle(request, "deactivated", lambda key, data: services.deactivate(
            key, data.get("instance_id", "")), with_instance=False)

    return router
