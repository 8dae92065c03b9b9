"""A project that includes its own URLs under two of the framework's namespaces."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the project's")


urlpatterns = [
    path("v2/", include(([path("ping/", page, name="ping")], "marketplace-api"))),
    path("legacy/", include(([path("home/", page, name="home")], "marketplace"))),
    path("", include("marketplace_core.urls")),
]
