"""Hook implementations of the licenses plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace_core import hookimpl
from marketplace_core.plugins.types import (
    ApiRouter,
    NavArea,
    NavItem,
    OwnedProductDetail,
    ProductSection,
    ReceiptLine,
    WebhookEventType,
)

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import Order, PurchasedProduct


@hookimpl
def ownership_granted(purchase: PurchasedProduct) -> None:
    """Issue the purchase's key (once, however often this is delivered)."""
    from marketplace_licenses.services import issue_key

    issue_key(purchase)


@hookimpl
def ownership_revoked(purchase: PurchasedProduct, reason: str) -> None:
    """Disable the purchase's key (a refund): the API then treats it as unknown."""
    from marketplace_licenses.services import disable_for_revocation

    disable_for_revocation(purchase)


@hookimpl
def demo_products_seeded(products: list[Product]) -> None:
    """The demo's first product issues keys (three activations each), so the demo
    buyer, who owns it, has a key to see. A policy its seller set is left alone."""
    from marketplace_licenses.models import LicensePolicy
    from marketplace_licenses.services import issue_key, save_policy

    if not products or LicensePolicy.objects.filter(product=products[0]).exists():
        return
    product = products[0]
    save_policy(product, seller=product.seller, issue_keys=True, activation_limit=3,
                validity_days=None)
    # A demo database seeded before this plugin was enabled: its purchases get keys too.
    for purchase in product.purchases.active():
        issue_key(purchase)


@hookimpl
def register_urlpatterns() -> list[URLPattern | URLResolver]:
    from marketplace_licenses.urls import urlpatterns

    return list(urlpatterns)


@hookimpl
def register_webhook_events() -> list[WebhookEventType]:
    from marketplace_licenses.events import EVENTS

    return list(EVENTS)


@hookimpl
def register_api_routers() -> list[ApiRouter]:
    from marketplace_licenses import api, seller_api

    return [ApiRouter(prefix="licenses", build=api.build_router, tags=["licenses"]),
            ApiRouter(prefix="license-keys", build=seller_api.build_router,
                      tags=["license keys"])]


@hookimpl
def nav_items(request: HttpRequest, area: NavArea) -> list[NavItem]:
    """Sellers: "License keys" in the seller panel. No query beyond core's seller check."""
    from marketplace_core.roles import is_seller

    user = getattr(request, "user", None)
    if area != "seller" or user is None or not user.is_authenticated or not is_seller(user):
        return []
    return [NavItem(_("License keys"), reverse("licenses:keys"), 450, "license-keys")]


@hookimpl
def seller_product_sections(request: HttpRequest, product: Product) -> list[ProductSection]:
    """The product's license settings, below the product form."""
    from marketplace_licenses.presentation import policy_section

    return [policy_section(request, product)]


@hookimpl
def owned_product_details(request: HttpRequest,
                          purchases: list[PurchasedProduct]) -> list[OwnedProductDetail]:
    """Each listed purchase's license key (one query for the page)."""
    from marketplace_licenses.presentation import key_details

    return key_details(purchases)


@hookimpl
def receipt_lines(order: Order) -> list[ReceiptLine]:
    """The order's license key, issued now if the grant's event has not run yet."""
    from marketplace_licenses.presentation import receipt_key_lines

    return receipt_key_lines(order)


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_licenses.checks import check_settings

    return check_settings()
