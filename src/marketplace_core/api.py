"""The django-ninja API v1 at ``/api/v1/``: built once, lazily, from core's and plugins' routers.

``/api/v1/docs`` shows it to people, ``/api/v1/openapi.json`` to programs.
Integrators authenticate with a seller's API key (:mod:`marketplace_core.api_auth`);
the site's own pages (order status polling, the seller dashboard) use the
session. Every error answers ``{"detail": ..., "code": ...}``
(:mod:`marketplace_core.api_v1.errors`). Plugins' routers, from
``register_api_routers``, are mounted at ``/api/v1/<prefix>/``.
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema

from marketplace_core import __version__
from marketplace_core.api_auth import ApiError, session_auth
from marketplace_core.api_v1 import categories, discounts, products, sales
from marketplace_core.api_v1.errors import ERROR_RESPONSES, install, json_urls
from marketplace_core.plugins.manager import get_plugin_manager

#: The API's URL namespace: the framework's own, so a project's ``api`` stays its own.
API_NAMESPACE = "marketplace-api"
#: Where :mod:`marketplace_core.urls` mounts the API.
API_PREFIX = "api/v1/"

_lock = threading.Lock()
_api: NinjaAPI | None = None


class OrderStatusOut(Schema):
    reference: str
    status: str


def _core_router() -> Router:
    from marketplace_core.ownership.models import Order

    router = Router(tags=["site"], auth=session_auth)

    @router.get("/orders/{reference}/status", url_name="order_status",
                response={200: OrderStatusOut, **ERROR_RESPONSES})
    def order_status(request: HttpRequest, reference: UUID) -> OrderStatusOut:
        """The status of one of the logged-in buyer's orders (the checkout page polls it):
        404 for anyone else's order (whether it exists never leaks)."""
        order = Order.objects.filter(reference=reference, buyer_id=request.user.pk).first()
        if order is None:
            raise ApiError(404, "No such order.", "not_found")
        return OrderStatusOut(reference=str(order.reference), status=order.status)

    return router


def get_api() -> NinjaAPI:
    """The site's API, assembled on first use; later calls return the same object."""
    global _api
    with _lock:
        if _api is None:
            api = NinjaAPI(
                title="Marketplace API", version=f"v1 ({__version__})",
                urls_namespace=API_NAMESPACE,
                description="Sellers' products, sales and codes, for integrators. "
                            "Send an API key (seller panel, API keys) as "
                            "`Authorization: Bearer <key>` or `X-API-Key: <key>`.",
            )
            install(api)
            api.add_router("/core", _core_router())
            api.add_router("/products", products.build_router())
            api.add_router("/categories", categories.build_router())
            api.add_router("/discount-codes", discounts.build_router())
            api.add_router("/", sales.build_router())
            for group in get_plugin_manager().hook.register_api_routers():
                for spec in group or []:
                    # tags=[] would override the router's own tags with none at all.
                    api.add_router(
                        f"/{spec.prefix.strip('/')}", spec.build(), tags=spec.tags or None
                    )
            _api = api
        return _api


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns (mounted at :data:`API_PREFIX`), every error answered
    with the error body, unknown paths included."""
    return json_urls(get_api().urls)
