"""Core's own hook implementations, registered before any plugin (so they run last).

Core features are built the way a plugin would build them: the dummy payment
provider, local storage, role-based landing pages and the site navigation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from marketplace_core.panels.api import build_router
from marketplace_core.payments.dummy import DummyProvider
from marketplace_core.plugins.markers import hookimpl
from marketplace_core.plugins.registry import storage_backend
from marketplace_core.plugins.types import (
    ApiRouter,
    DownloadTarget,
    NavArea,
    NavItem,
    PeriodicTask,
    WebhookEventType,
)
from marketplace_core.storage.backends import LocalStorageBackend

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product
    from marketplace_core.notifications.channels import NotificationChannel
    from marketplace_core.ownership.models import Order, Payment, PurchasedProduct, Refund
    from marketplace_core.payments.providers import PaymentProvider
    from marketplace_core.people.types import User
    from marketplace_core.storage.backends import StorageBackend


@hookimpl
def register_payment_providers() -> list[type[PaymentProvider]]:
    return [DummyProvider]


@hookimpl
def register_storage_backends() -> list[type[StorageBackend]]:
    return [LocalStorageBackend]


@hookimpl
def register_notification_channels() -> list[type[NotificationChannel]]:
    from marketplace_core.notifications.email_channel import EmailChannel

    return [EmailChannel]


@hookimpl
def resolve_download(request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget:
    return storage_backend().download_target(request, purchase)


@hookimpl
def resolve_home_url(user: User) -> str:
    from marketplace_core.roles import is_seller

    if is_seller(user):
        return reverse("marketplace:seller_dashboard")
    return reverse("marketplace:my_products")


#: The customer panel's sidebar (any logged-in user: sellers buy too); plugins
#: add their pages between the purchases (< 300) and the account (800+).
_CUSTOMER_NAV = (
    (N_("My products"), "marketplace:my_products", 100, "my-products"),
    (N_("Order history"), "marketplace:order_history", 200, "order-history"),
    (N_("Profile"), "marketplace:customer_profile", 800, "profile"),
    (N_("Password"), "marketplace:customer_password_change", 810, "password"),
)
#: The seller panel's sidebar. Selling pages use orders below 700; what the
#: seller bought as a customer comes next (700-899; the support plugin's "My
#: support requests" fits after 800), the seller's own account last (950+).
_SELLER_NAV = (
    (N_("Dashboard"), "marketplace:seller_dashboard", 100, "seller-dashboard"),
    (N_("Products"), "marketplace:seller_products", 200, "seller-products"),
    (N_("Categories"), "marketplace:seller_categories", 250, "seller-categories"),
    (N_("Storefront"), "marketplace:seller_storefront_settings", 270, "seller-storefront"),
    (N_("Sales"), "marketplace:seller_sales", 300, "seller-sales"),
    (N_("Customers"), "marketplace:seller_customers", 400, "seller-customers"),
    (N_("Discounts"), "marketplace:seller_discounts", 450, "seller-discounts"),
    (N_("Exports"), "marketplace:seller_exports", 600, "seller-exports"),
    (N_("API keys"), "marketplace:seller_api_keys", 650, "seller-api-keys"),
    (N_("Webhooks"), "marketplace:seller_webhooks", 660, "seller-webhooks"),
    (N_("My purchases"), "marketplace:seller_my_products", 700, "seller-my-products"),
    (N_("My orders"), "marketplace:seller_order_history", 800, "seller-order-history"),
    (N_("Profile"), "marketplace:seller_profile", 950, "profile"),
    (N_("Password"), "marketplace:seller_password_change", 960, "password"),
)


def _items(entries: tuple[tuple[str, str, int, str], ...]) -> list[NavItem]:
    from marketplace_core.conf import conf

    # The password pages are core's account pages: gone when the project has its own.
    return [NavItem(_(label), reverse(name), order, key) for label, name, order, key in entries
            if conf.ACCOUNT_PAGES or key != "password"]


@hookimpl
def nav_items(request: HttpRequest, area: NavArea) -> list[NavItem]:
    from marketplace_core.roles import is_seller

    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    seller = authenticated and is_seller(user)
    if area == "main":
        return [NavItem(_("Products"), reverse("marketplace:product_list"), 100, "products")]
    if area == "account" and authenticated:
        if seller:
            return [
                NavItem(_("Seller dashboard"), reverse("marketplace:seller_dashboard"), 100,
                        "seller-dashboard"),
                NavItem(_("My purchases"), reverse("marketplace:seller_my_products"), 200,
                        "seller-my-products"),
            ]
        return [NavItem(_("My products"), reverse("marketplace:my_products"), 100, "my-products")]
    if area == "customer" and authenticated:
        return _items(_CUSTOMER_NAV)
    if area == "seller" and seller:
        return _items(_SELLER_NAV)
    return []


@hookimpl
def register_api_routers() -> list[ApiRouter]:
    # SellerDashboardAPI: /api/v1/seller/dashboard
    return [ApiRouter(prefix="seller", build=build_router, tags=["seller"])]


#: How often abandoned checkouts are looked for (they expire after ``PENDING_ORDER_TTL``).
EXPIRE_EVERY_SECONDS = 15 * 60


@hookimpl
def register_periodic_tasks() -> list[PeriodicTask]:
    from marketplace_core.outbound.catch_up import CATCH_UP_EVERY_SECONDS, CATCH_UP_TASK
    from marketplace_core.outbound.tasks import SEND_DUE_EVERY_SECONDS, SEND_DUE_TASK
    from marketplace_core.ownership.tasks import EXPIRE_TASK

    return [
        PeriodicTask(name=EXPIRE_TASK, task=EXPIRE_TASK, every_seconds=EXPIRE_EVERY_SECONDS),
        PeriodicTask(name=SEND_DUE_TASK, task=SEND_DUE_TASK, every_seconds=SEND_DUE_EVERY_SECONDS),
        PeriodicTask(name=CATCH_UP_TASK, task=CATCH_UP_TASK,
                     every_seconds=CATCH_UP_EVERY_SECONDS),
    ]


@hookimpl
def register_webhook_events() -> list[WebhookEventType]:
    from marketplace_core.outbound.events import CORE_EVENTS

    return list(CORE_EVENTS)


# Core's outbound webhook events are sent from its own event hooks, after the
# change committed (see marketplace_core.outbound.core_events).


@hookimpl
def payment_confirmed(order: Order, payment: Payment) -> None:
    from marketplace_core.outbound.core_events import order_paid

    order_paid(order, payment)


@hookimpl
def refund_recorded(order: Order, refund: Refund) -> None:
    from marketplace_core.outbound.core_events import order_refunded

    order_refunded(order, refund)


@hookimpl
def product_saved(product: Product, created: bool) -> None:
    from marketplace_core.outbound.core_events import product_published

    product_published(product)
