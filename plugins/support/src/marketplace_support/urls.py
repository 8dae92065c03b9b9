"""URL patterns; core mounts them under ``/support/`` as namespace ``support``."""

from __future__ import annotations

from django.urls import URLPattern, path

from marketplace_support import buyer_views, seller_views

urlpatterns: list[URLPattern] = [
    # the buyer (any logged-in user: sellers buy too)
    path("new/<int:purchase_pk>/", buyer_views.SupportRequestCreateView.as_view(),
         name="create"),
    path("mine/", buyer_views.CustomerMySupportListView.as_view(), name="my_requests"),
    path("seller/mine/", buyer_views.SellerMySupportListView.as_view(),
         name="seller_my_requests"),
    path("<int:pk>/", buyer_views.SupportRequestDetailView.as_view(), name="detail"),
    path("<int:pk>/messages/", buyer_views.BuyerMessageView.as_view(), name="buyer_message"),
    path("<int:pk>/cancel/", buyer_views.SupportCancelView.as_view(), name="cancel"),
    path("<int:pk>/cancel/confirm/", buyer_views.SupportCancelConfirmView.as_view(),
         name="cancel_confirm"),
    path("<int:pk>/complete/", buyer_views.SupportCompleteView.as_view(), name="complete"),
    # the seller
    path("incoming/", seller_views.SupportRequestListView.as_view(), name="incoming"),
    path("incoming/<int:pk>/", seller_views.SupportRequestUpdateView.as_view(), name="update"),
    path("incoming/<int:pk>/messages/", seller_views.SellerMessageView.as_view(),
         name="seller_message"),
]
