"""One error body for every 4xx and 5xx of the API: ``{"detail": ..., "code": ...}``.

Validation errors (422) add ``errors``: one ``{"field", "message", "code"}`` per
problem. :func:`install` puts the handlers on a ``NinjaAPI``; :func:`json_urls`
makes the URL patterns answer 405 and unknown paths with the same body.
Operations declare :data:`ERROR_RESPONSES` so the schema documents them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from marketplace_core.api_auth import ApiError
from marketplace_core.exceptions import Rejected

logger = logging.getLogger("marketplace_core.api")

_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
          429: "rate_limited", 503: "unavailable"}


class FieldErrorOut(Schema):
    #: The input field (``"price"``), a dotted location for malformed requests
    #: (``"query.limit"``), or ``""`` for the request as a whole.
    field: str
    message: str
    code: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[FieldErrorOut] | None = None


#: The error statuses every operation may answer; declare them with
#: ``response={200: X, **ERROR_RESPONSES}``.
ERROR_RESPONSES: dict[Any, Any] = {
    frozenset({400, 401, 403, 404, 409, 422, 429, 503}): ErrorOut}


def body(status: int, detail: str, code: str | None = None,
         errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"detail": detail, "code": code or _CODES.get(status, "error")}
    if errors is not None:
        data["errors"] = errors
    return data


def error_response(status: int, detail: str, code: str | None = None) -> JsonResponse:
    return JsonResponse(body(status, detail, code), status=status)


def invalid_form(form: BaseForm, detail: str = "Some fields are invalid.") -> ApiError:
    """An :class:`ApiError` (422) carrying every error of a bound, invalid Django form."""
    errors = [
        {"field": "" if field == "__all__" else field, "message": str(error.message % (
            error.params or {})), "code": error.code or "invalid"}
        for field, field_errors in form.errors.as_data().items() for error in field_errors
    ]
    return ApiError(422, detail, "invalid", errors=errors)


def rejected(exc: Rejected, status: int = 409) -> ApiError:
    """A service's :class:`Rejected` as an API error (``not_found`` as 404)."""
    return ApiError(404 if exc.code == "not_found" else status, exc.message, exc.code)


def install(api: NinjaAPI) -> None:
    """Answer every error of ``api`` with the error body."""

    def respond(request: HttpRequest, status: int, data: dict[str, Any],
                headers: dict[str, str] | None = None) -> HttpResponse:
        response = api.create_response(request, data, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def api_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc.status, body(exc.status, exc.detail, exc.code, exc.errors),
                       exc.headers)

    def authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 401, body(401, "Authentication required: send a valid API key "
                                               "(or log in, for the site's own pages)."),
                       {"WWW-Authenticate": 'Bearer realm="api"'})

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        headers = {}
        wait = getattr(exc, "wait", None)
        if exc.status_code == 429 and wait is not None:
            headers["Retry-After"] = str(int(wait))
        return respond(request, exc.status_code, body(exc.status_code, str(exc)), headers)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 404, body(404, "Not found."))

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = []
        for error in exc.errors:
            location = [str(part) for part in error.get("loc", ())]
            # ("body", "payload", "price") -> "price"; ("query", "limit") -> "query.limit"
            if location[:1] == ["body"] and len(location) > 2:
                field = ".".join(location[2:])
            else:
                field = ".".join(location)
            errors.append({"field": field, "message": str(error.get("msg", "Invalid value.")),
                           "code": str(error.get("type", "invalid"))})
        return respond(request, 422, body(422, "The request is invalid.", "invalid", errors))

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, body(500, "Something went wrong on our side; nothing "
                                               "was changed. Try again later.", "server_error"))

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(AuthenticationError, authentication)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(Exception, server_error)


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)  # keeps csrf_exempt and the other attributes
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
                "application/json"):
            allowed = response.get("Allow", "")
            json_response = error_response(
                405, f"{request.method} is not allowed here; use {allowed}.")
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped


def _unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(404, "Not found.")


def json_urls(urls: tuple[list[Any], str, str]) -> tuple[list[Any], str, str]:
    """``NinjaAPI.urls`` whose 405s carry the error body, plus a last pattern that
    answers unknown paths under the API with the error body (404)."""
    patterns, app_name, namespace = urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_not_allowed(pattern.callback)
        wrapped.append(pattern)
    wrapped.append(re_path(r"^(?P<path>.*)$", _unknown_path))
    return wrapped, app_name, namespace
