"""The 405 page: Django's views answer a method they do not take with an empty 405.

Core ships the other error pages as templates (``400.html``, ``403.html``,
``404.html``, ``500.html``) that Django's own handlers find; a 405 has no
handler, so :class:`MethodNotAllowedPageMiddleware` gives an empty 405 the body
of ``405.html``. Responses with a body (the API's JSON errors) pass unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string


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
