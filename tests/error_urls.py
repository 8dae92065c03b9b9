"""Core's URLs plus views that fail on purpose: the error pages' tests (test_error_pages.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_POST


def server_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("secret reason")


def bad_request(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("bad")


@require_POST
def post_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("posted")


urlpatterns = [
    path("fail/500/", server_error),
    path("fail/403/", forbidden),
    path("fail/400/", bad_request),
    path("fail/405/", post_only),
    path("", include("marketplace_core.urls")),
]
