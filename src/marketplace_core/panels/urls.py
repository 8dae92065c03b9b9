"""Routes of the customer panel (``/account/``) and the seller panel (``/seller/``).

Included into core's ``marketplace`` namespace by :mod:`marketplace_core.urls`.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from marketplace_core.panels import seller_webhooks as webhooks
from marketplace_core.panels import views
from marketplace_core.panels.product_downloads import (
    CustomerProductDownloadsView,
    SellerVersionDeleteView,
)
from marketplace_core.panels.seller_product_images import (
    SellerGalleryAddView,
    SellerGalleryMoveView,
    SellerGalleryRemoveView,
)

urlpatterns: list[URLPattern] = [
    # customer panel
    path("account/products/", views.CustomerMyProductListView.as_view(), name="my_products"),
    path("account/products/<int:pk>/downloads/", CustomerProductDownloadsView.as_view(),
         name="product_downloads"),
    path("account/orders/", views.CustomerOrderHistoryView.as_view(), name="order_history"),
    # seller panel
    path("seller/", views.SellerDashboardView.as_view(), name="seller_dashboard"),
    path("seller/products/", views.SellerProductListView.as_view(), name="seller_products"),
    path("seller/products/new/", views.SellerProductCreateView.as_view(),
         name="seller_product_create"),
    path("seller/products/<int:pk>/edit/", views.SellerProductUpdateView.as_view(),
         name="seller_product_update"),
    path("seller/products/<int:pk>/delete/", views.SellerProductDeleteView.as_view(),
         name="seller_product_delete"),
    path("seller/products/<int:product_pk>/versions/<int:pk>/delete/",
         SellerVersionDeleteView.as_view(), name="seller_version_delete"),
    path("seller/products/<int:pk>/images/", SellerGalleryAddView.as_view(),
         name="seller_gallery_add"),
    path("seller/products/<int:pk>/images/<int:image_pk>/delete/",
         SellerGalleryRemoveView.as_view(), name="seller_gallery_remove"),
    path("seller/products/<int:pk>/images/<int:image_pk>/move/",
         SellerGalleryMoveView.as_view(), name="seller_gallery_move"),
    path("seller/products/<int:pk>/unpublish/", views.SellerProductUnpublishView.as_view(),
         name="seller_product_unpublish"),
    path("seller/categories/", views.SellerProductCategoryListView.as_view(),
         name="seller_categories"),
    path("seller/categories/new/", views.SellerProductCategoryCreateView.as_view(),
         name="seller_category_create"),
    path("seller/categories/<int:pk>/edit/", views.SellerProductCategoryUpdateView.as_view(),
         name="seller_category_update"),
    path("seller/categories/<int:pk>/delete/", views.SellerProductCategoryDeleteView.as_view(),
         name="seller_category_delete"),
    path("seller/sales/", views.SellerSalesListView.as_view(), name="seller_sales"),
    path("seller/sales/<uuid:reference>/", views.SellerSaleDetailView.as_view(),
         name="seller_sale_detail"),
    path("seller/customers/", views.SellerCustomerListView.as_view(), name="seller_customers"),
    path("seller/exports/", views.SellerExportView.as_view(), name="seller_exports"),
    path("seller/discounts/", views.SellerDiscountCodeListView.as_view(),
         name="seller_discounts"),
    path("seller/discounts/new/", views.SellerDiscountCodeCreateView.as_view(),
         name="seller_discount_create"),
    path("seller/discounts/<int:pk>/edit/", views.SellerDiscountCodeUpdateView.as_view(),
         name="seller_discount_update"),
    path("seller/discounts/<int:pk>/delete/", views.SellerDiscountCodeDeleteView.as_view(),
         name="seller_discount_delete"),
    path("seller/api-keys/", views.SellerApiKeyListView.as_view(), name="seller_api_keys"),
    path("seller/api-keys/<int:pk>/revoke/", views.SellerApiKeyRevokeView.as_view(),
         name="seller_api_key_revoke"),
    path("seller/webhooks/", webhooks.SellerWebhookListView.as_view(), name="seller_webhooks"),
    path("seller/webhooks/new/", webhooks.SellerWebhookCreateView.as_view(),
         name="seller_webhook_create"),
    path("seller/webhooks/<int:pk>/", webhooks.SellerWebhookDetailView.as_view(),
         name="seller_webhook_detail"),
    path("seller/webhooks/<int:pk>/edit/", webhooks.SellerWebhookUpdateView.as_view(),
         name="seller_webhook_update"),
    path("seller/webhooks/<int:pk>/delete/", webhooks.SellerWebhookDeleteView.as_view(),
         name="seller_webhook_delete"),
    path("seller/webhooks/<int:pk>/rotate/", webhooks.SellerWebhookRotateView.as_view(),
         name="seller_webhook_rotate"),
    path("seller/webhooks/<int:pk>/test/", webhooks.SellerWebhookTestView.as_view(),
         name="seller_webhook_test"),
    path("seller/webhooks/deliveries/<int:pk>/resend/",
         webhooks.SellerWebhookResendView.as_view(), name="seller_webhook_resend"),
    # the seller as a buyer
    path("seller/purchases/", views.SellerMyProductListView.as_view(),
         name="seller_my_products"),
    path("seller/orders/", views.SellerOrderHistoryView.as_view(),
         name="seller_order_history"),
]
