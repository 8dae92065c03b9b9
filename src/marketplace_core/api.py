"""The django-ninja API: built once, lazily, from core's and plugins' routers."""

from __future__ import annotations

import threading
from uuid import UUID

from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema
from ninja.errors import HttpError

from marketplace_core import __version__
from marketplace_core.plugins.manager import get_plugin_manager

#: The API's URL namespace: the framework's own, so a project's ``api`` stays its own.
API_NAMESPACE = "marketplace-api"

_lock = threading.Lock()
_api: NinjaAPI | None = None


class OrderStatusOut(Schema):
    reference: str
    status: str


def _core_router() -> Router:
    from marketplace_core.ownership.models import Order

    router = Router(tags=["orders"])

    @router.get("/orders/{reference}/status", url_name="order_status", response=OrderStatusOut)
    def order_status(request: HttpRequest, reference: UUID) -> OrderStatusOut:
        """The status of one of the caller's orders: 401 when logged out, 404 for
        anyone else's order (whether it exists never leaks)."""
        if not request.user.is_authenticated:
            raise HttpError(401, "Log in first.")
        order = Order.objects.filter(reference=reference, buyer=request.user).first()
        if order is None:
            raise HttpError(404, "No such order.")
        return OrderStatusOut(reference=str(order.reference), status=order.status)

    return router


def get_api() -> NinjaAPI:
    """The site's API, assembled on first use; later calls return the same object."""
    global _api
    with _lock:
        if _api is None:
            api = NinjaAPI(title="Marketplace API", version=__version__,
                           urls_namespace=API_NAMESPACE)
            api.add_router("/core/", _core_router())
            for group in get_plugin_manager().hook.register_api_routers():
                for spec in group or []:
                    # tags=[] would override the router's own tags with none at all.
                    api.add_router(
                        f"/{spec.prefix.strip('/')}/", spec.build(), tags=spec.tags or None
                    )
            _api = api
        return _api
