"""URL patterns; core mounts them under ``/s/`` (the url_prefix) as namespace ``shorturl``."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from marketplace_shorturl import views
from marketplace_shorturl.slugs import SLUG_PATTERN

urlpatterns: list[URLPattern] = [
    path("manage/", views.ShorturlListView.as_view(), name="list"),
    path("manage/new/", views.ShorturlCreateView.as_view(), name="create"),
    path("manage/<int:pk>/edit/", views.ShorturlUpdateView.as_view(), name="update"),
    path("manage/<int:pk>/delete/", views.ShorturlDeleteView.as_view(), name="delete"),
    # Last, so "manage/..." wins; a trailing slash (added by some chat apps) is accepted.
    re_path(rf"^(?P<slug>{SLUG_PATTERN})/?$", views.shorturl_view, name="redirect"),
]
