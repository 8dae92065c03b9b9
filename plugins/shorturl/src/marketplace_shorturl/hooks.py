"""Hook implementations of the short URL plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace_core import hookimpl
from marketplace_core.plugins.types import ApiRouter, NavArea, NavItem, PeriodicTask

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver

    from marketplace_core.ownership.models import Order, Payment, Refund
    from marketplace_core.people.types import User
    from marketplace_core.plugins.types import DashboardSeries


@hookimpl
def register_urlpatterns() -> list[URLPattern | URLResolver]:
    from marketplace_shorturl.urls import urlpatterns

    return list(urlpatterns)


@hookimpl
def register_api_routers() -> list[ApiRouter]:
    """``/api/v1/short-links``: the seller's links for integrators (API key auth)."""
    from marketplace_shorturl.api import build_router

    return [ApiRouter(prefix="short-links", build=build_router, tags=["short links"])]


@hookimpl
def nav_items(request: HttpRequest, area: NavArea) -> list[NavItem]:
    """"Short links" for sellers, in the seller and account navigation."""
    if area not in ("seller", "account"):
        return []
    from marketplace_core.roles import is_seller

    if not is_seller(getattr(request, "user", None)):
        return []
    return [NavItem(_("Short links"), reverse("shorturl:list"), order=300, key="shorturl")]


@hookimpl
def checkout_started(order: Order, request: HttpRequest) -> None:
    from marketplace_shorturl.attribution import remember_checkout

    remember_checkout(order, request)


@hookimpl
def payment_confirmed(order: Order, payment: Payment) -> None:
    from marketplace_shorturl.attribution import count_payment

    count_payment(order)


@hookimpl
def refund_recorded(order: Order, refund: Refund) -> None:
    from marketplace_shorturl.attribution import count_refund

    count_refund(order)


@hookimpl
def dashboard_series(seller: User, period: str) -> list[DashboardSeries]:
    from marketplace_shorturl.dashboard import short_link_series

    return short_link_series(seller, period)


@hookimpl
def register_periodic_tasks() -> list[PeriodicTask]:
    from marketplace_shorturl.conf import conf
    from marketplace_shorturl.tasks import FLUSH_TASK, REPLAY_TASK

    return [PeriodicTask(name=task, task=task, every_seconds=conf.FLUSH_INTERVAL)
            for task in (FLUSH_TASK, REPLAY_TASK)]


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_shorturl.checks import check_settings

    return check_settings()
