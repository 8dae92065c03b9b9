"""Core's own hook implementations, registered before any plugin (so they run last).

Core features are built the way a plugin would build them: the dummy payment
provider, local storage, role-based landing pages and the site navigation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace_core.plugins.markers import hookimpl
from marketplace_core.plugins.types import DownloadTarget, NavArea, NavItem

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.accounts.models import User
    from marketplace_core.ownership.models import PurchasedProduct
    from marketplace_core.payments.providers import PaymentProvider
    from marketplace_core.storage.backends import StorageBackend


@hookimpl
def register_payment_providers() -> list[type[PaymentProvider]]:
    from marketplace_core.payments.dummy import DummyProvider

    return [DummyProvider]


@hookimpl
def register_storage_backends() -> list[type[StorageBackend]]:
    from marketplace_core.storage.backends import LocalStorageBackend

    return [LocalStorageBackend]


@hookimpl
def resolve_download(request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget:
    from marketplace_core.plugins.registry import storage_backend

    return storage_backend().download_target(request, purchase)


@hookimpl
def resolve_home_url(user: User) -> str:
    if user.is_seller:
        return reverse("marketplace:seller_dashboard")
    return reverse("marketplace:my_products")


@hookimpl
def nav_items(request: HttpRequest, area: NavArea) -> list[NavItem]:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    if area == "main":
        return [NavItem(_("Products"), reverse("marketplace:product_list"), 100, "products")]
    if area == "account" and authenticated:
        items = [
            NavItem(_("My products"), reverse("marketplace:my_products"), 100, "my-products"),
        ]
        if user is not None and user.is_seller:
            items.append(
                NavItem(_("Seller dashboard"), reverse("marketplace:seller_dashboard"), 200,
                        "seller-dashboard")
            )
        return items
    return []
