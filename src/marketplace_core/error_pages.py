"""The error pages' plumbing.

Core ships its error pages as templates (``400.html``, ``403.html``, ``404.html``,
``500.html``) that Django's own handlers find. Django renders 400 and 500 without
any context: :func:`bad_request` and :func:`server_error`, set as ``handler400``
and ``handler500`` in the project's root URLconf, add the site's name and base
template (from settings, no database). A 405 has no handler at all:
:class:`MethodNotAllowedPageMiddleware` gives an empty 405 the body of
``405.html``; responses with a body (the API's JSON errors) pass unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseServerError,
)
from django.template.loader import render_to_string

from marketplace_core.conf import conf


class MethodNotAllowedPageMiddleware:
    """Fill an empty 405 response with the branded ``405.html`` (its ``Allow`` header kept).

    Place it after ``AuthenticationMiddleware`` and ``MessageMiddleware`` (the
    page is rendered with the request's context, in the site's layout).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (isinstance(response, HttpResponse) and response.status_code == 405
                and not response.content and request.method != "HEAD"):
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response


def _context() -> dict[str, Any]:
    """What the layout reads from the context processor, from settings alone."""
    return {"site_name": conf.SITE_NAME, "marketplace_base_template": conf.BASE_TEMPLATE}


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: ``400.html`` as Django's handler renders it (no request context,
    nothing from the database), with the site's name and base template."""
    return HttpResponseBadRequest(render_to_string("400.html", _context()))


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: ``500.html`` without the request (whatever failed may fail
    again) and without the database, with the site's name and base template."""
    return HttpResponseServerError(render_to_string("500.html", _context()))
