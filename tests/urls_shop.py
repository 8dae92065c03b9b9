"""A project that mounts the shop under ``/shop/`` beside its own pages."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the project's home")


urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("shop/", include("marketplace_core.urls")),
]
