"""Core URLs plus every enabled plugin's URLs, each under its own namespace.

Include it at the site root, or under any prefix::

    urlpatterns = [path("admin/", admin.site.urls), path("shop/", include("marketplace_core.urls"))]

Core views live in the ``marketplace`` namespace, the API in ``marketplace-api``;
plugin ``foo`` contributes ``foo:*`` names under ``<url_prefix>/``. Those
namespaces are the framework's own (:func:`framework_namespaces`); check
``marketplace_core.E011`` reports another include that uses one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import cast

from django.urls import URLPattern, URLResolver, get_resolver, include, path

from marketplace_core.accounts import profile_views
from marketplace_core.accounts import urls as account_urls
from marketplace_core.accounts import views as account_views
from marketplace_core.api import API_NAMESPACE, API_PREFIX, api_urls
from marketplace_core.catalog import seo_views, storefront_views
from marketplace_core.catalog import views as catalog_views
from marketplace_core.catalog.unsubscribe_views import VersionEmailUnsubscribeView
from marketplace_core.guests import views as guest_views
from marketplace_core.health import health
from marketplace_core.panels import urls as panel_urls
from marketplace_core.payments import dummy_views
from marketplace_core.payments import views as payment_views
from marketplace_core.plugins.manager import call, enabled_plugins
from marketplace_core.receipts import views as receipt_views
from marketplace_core.storage import views as storage_views

app_patterns: list[URLPattern | URLResolver] = [
    path("", catalog_views.HomePageView.as_view(), name="home"),
    path("products/", catalog_views.ProductListView.as_view(), name="product_list"),
    path("products/<slug:slug>/", catalog_views.ProductDetailView.as_view(),
         name="product_detail"),
    path("products/<slug:slug>/buy/", payment_views.InitiateCheckoutSessionView.as_view(),
         name="checkout"),
    path("products/<slug:slug>/download/", storage_views.ProductDownloadView.as_view(),
         name="product_download"),
    path("products/<slug:slug>/download/<int:version>/",
         storage_views.ProductDownloadView.as_view(), name="product_version_download"),
    path("sellers/<slug:slug>/", storefront_views.SellerStorefrontView.as_view(),
         name="seller_storefront"),
    path("sitemap.xml", seo_views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>-<int:page>.xml", seo_views.sitemap_page, name="sitemap_page"),
    path("robots.txt", seo_views.robots_txt, name="robots_txt"),
    path("updates/unsubscribe/<str:token>/", VersionEmailUnsubscribeView.as_view(),
         name="version_emails_unsubscribe"),
    path("downloads/local/<str:token>/", storage_views.LocalProductDownloadView.as_view(),
         name="local_download"),
    path("payments/success/", payment_views.PaymentSuccessView.as_view(),
         name="payment_success"),
    path("payments/orders/<uuid:reference>/status/", payment_views.OrderStatusView.as_view(),
         name="order_status"),
    path("payments/orders/<uuid:reference>/download/",
         guest_views.GuestOrderDownloadView.as_view(), name="guest_order_download"),
    path("payments/webhooks/<slug:provider>/", payment_views.PaymentWebhookView.as_view(),
         name="payment_webhook"),
    path("payments/dummy/checkout/<str:token>/", dummy_views.DummyCheckoutView.as_view(),
         name="dummy_checkout"),
    path("receipts/fresh/", receipt_views.FreshLinkView.as_view(), name="receipt_fresh_link"),
    path("receipts/<str:token>/", receipt_views.ReceiptLinkView.as_view(), name="receipt_link"),
    path("account/purchases/access/", guest_views.PurchasesLinkRequestView.as_view(),
         name="guest_purchases"),
    path("account/purchases/access/sent/", guest_views.PurchasesLinkSentView.as_view(),
         name="guest_purchases_sent"),
    path("account/purchases/access/<str:token>/", guest_views.PurchasesLoginView.as_view(),
         name="guest_purchases_login"),
    path("account/purchases/<uuid:reference>/", receipt_views.PurchaseDetailView.as_view(),
         name="purchase_detail"),
    path("account/orders/<uuid:reference>/receipt/", receipt_views.ResendReceiptView.as_view(),
         name="resend_receipt"),
    path("accounts/logout/", account_views.LogoutView.as_view(), name="logout"),
    # Optional: answer 404 with MARKETPLACE["ACCOUNT_PAGES"] off (marketplace_core.accounts.urls).
    *account_urls.urlpatterns,
    path("account/profile/", profile_views.CustomerProfileView.as_view(),
         name="customer_profile"),
    path("seller/profile/", profile_views.SellerProfileView.as_view(), name="seller_profile"),
    path("seller/storefront/", storefront_views.SellerStorefrontSettingsView.as_view(),
         name="seller_storefront_settings"),
    path("seller/profile/notifications/", profile_views.SellerNotificationsView.as_view(),
         name="seller_notifications"),
    *panel_urls.urlpatterns,
    path("healthz", health, name="health"),
]


def plugin_urlpatterns() -> list[URLResolver]:
    """Each enabled plugin's ``register_urlpatterns`` under its prefix and namespace.

    Plugins are mounted in settings order under ``<url_prefix>/`` (the site root
    when ``url_prefix`` is ``""``), with the plugin's name as URL namespace.
    """
    prefixes = {info.name: info.mount_prefix for info in enabled_plugins()}
    resolvers: list[URLResolver] = []
    for plugin, answer in call("register_urlpatterns", {}).answers:
        patterns = cast("list[URLPattern | URLResolver]", answer or [])
        if not patterns:
            continue
        prefix = prefixes.get(plugin, plugin)
        # An empty prefix mounts at the site root ("" not "/", which would give "//page").
        route = f"{prefix}/" if prefix else ""
        resolvers.append(path(route, include((patterns, plugin), namespace=plugin)))
    return resolvers


urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((app_patterns, "marketplace"))),
    path(API_PREFIX, api_urls()),
    *plugin_urlpatterns(),
]


def framework_namespaces() -> set[str]:
    """The URL namespaces this URLconf defines: core's, the API's, each enabled plugin's."""
    return {"marketplace", API_NAMESPACE, *(info.name for info in enabled_plugins())}


def foreign_framework_namespaces() -> list[tuple[str, str]]:
    """``(namespace, route)`` of every include in the root URLconf, outside this
    module's, that uses one of :func:`framework_namespaces`."""
    names = framework_namespaces()
    ours = sys.modules[__name__]

    def walk(patterns: Sequence[URLPattern | URLResolver], prefix: str,
             inside: bool) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if not isinstance(pattern, URLResolver):
                continue
            route = prefix + str(pattern.pattern)
            if not inside and pattern.namespace in names:
                yield pattern.namespace, route
            yield from walk(pattern.url_patterns, route,
                            inside or pattern.urlconf_module is ours)

    return list(walk(get_resolver().url_patterns, "/", False))
