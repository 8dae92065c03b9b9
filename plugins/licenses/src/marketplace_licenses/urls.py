"""URL patterns; core mounts them under ``/licenses/`` as namespace ``licenses``."""

from __future__ import annotations

from django.urls import URLPattern, path

from marketplace_licenses import seller_views

urlpatterns: list[URLPattern] = [
    path("seller/keys/", seller_views.KeyListView.as_view(), name="keys"),
    path("seller/keys/<int:pk>/", seller_views.KeyDetailView.as_view(), name="key_detail"),
    path("seller/keys/<int:pk>/disable/", seller_views.KeyDisableView.as_view(),
         name="key_disable"),
    path("seller/keys/<int:pk>/enable/", seller_views.KeyEnableView.as_view(),
         name="key_enable"),
    path("seller/activations/<int:pk>/free/", seller_views.ActivationFreeView.as_view(),
         name="activation_free"),
    path("seller/products/<int:pk>/policy/", seller_views.PolicyView.as_view(), name="policy"),
]
