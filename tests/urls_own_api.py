"""A project with its own ``api`` namespace beside the shop's."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"project": "pong"})


urlpatterns = [
    path("api/", include(([path("ping/", ping, name="ping")], "api"))),
    path("", include("marketplace_core.urls")),
]
