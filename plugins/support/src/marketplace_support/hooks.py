"""Hook implementations of the support plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace_core import hookimpl
from marketplace_core.plugins.types import NavArea, NavItem, ProductAction, WebhookEventType

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import PurchasedProduct


@hookimpl
def register_urlpatterns() -> list[URLPattern | URLResolver]:
    from marketplace_support.urls import urlpatterns

    return list(urlpatterns)


@hookimpl
def register_webhook_events() -> list[WebhookEventType]:
    from marketplace_support.webhooks import EVENTS

    return list(EVENTS)


@hookimpl
def product_actions(request: HttpRequest, product: Product,
                    purchase: PurchasedProduct) -> list[ProductAction]:
    """"Request support", or a link to the open request, with the latest request's status."""
    from marketplace_support.product_actions import actions_for

    return actions_for(request, purchase)


@hookimpl
def nav_items(request: HttpRequest, area: NavArea) -> list[NavItem]:
    """Sellers: "Support requests" (incoming) and, among their purchases, their own
    requests; customers: "My support". At most the query core makes anyway for the
    seller status of ``request.user`` (cached on it)."""
    from marketplace_core.roles import is_seller

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    seller = is_seller(user)
    if area == "seller" and seller:
        return [
            NavItem(_("Support requests"), reverse("support:incoming"), 400, "support-incoming"),
            NavItem(_("My support requests"), reverse("support:seller_my_requests"), 850,
                    "seller-my-support"),
        ]
    if area == "customer":
        return [NavItem(_("My support"), reverse("support:my_requests"), 300, "my-support")]
    if area == "account":
        if seller:
            return [NavItem(_("Support requests"), reverse("support:incoming"), 150,
                            "support-incoming")]
        return [NavItem(_("My support"), reverse("support:my_requests"), 150, "my-support")]
    return []


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_support.checks import check_settings

    return check_settings()
