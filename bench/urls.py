"""The example site's URLs plus the bare view the short link is compared with."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """The least a Django view can do: the baseline of the benchmark."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare", bare),
    path("", include("example_site.urls")),
]
