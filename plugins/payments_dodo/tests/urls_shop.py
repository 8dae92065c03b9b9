"""The shop mounted under ``/shop/``, as a project that has other pages does."""

from django.urls import include, path

urlpatterns = [path("shop/", include("marketplace_core.urls"))]
