"""URL patterns of the Telegram plugin (``register_urlpatterns``; mounted under
``/telegram/`` in the ``notify_telegram`` namespace)."""

from django.urls import URLPattern, path

from marketplace_notify_telegram import views

urlpatterns: list[URLPattern] = [
    path("connect/", views.ConnectView.as_view(), name="connect"),
    path("disconnect/", views.DisconnectView.as_view(), name="disconnect"),
    path("webhook/", views.webhook, name="webhook"),
]
