"""The django-ninja API: built once, lazily, from core's and plugins' routers."""

from __future__ import annotations

import threading

from ninja import NinjaAPI, Router, Schema

from marketplace_core import __version__

_lock = threading.Lock()
_api: NinjaAPI | None = None


class OrderStatusOut(Schema):
    reference: str
    status: str


class ErrorOut(Schema):
    detail: str


def _core_router() -> Router:
    from marketplace_core.ownership.models import Order

    router = Router(tags=["orders"])

    @router.get(
        "/orders/{reference}/status",
        url_name="order_status",
        response={200: OrderStatusOut, 401: ErrorOut, 404: ErrorOut},
    )
    def order_status(request, reference: str):  # type: ignore[no-untyped-def]
        """The status of one of the caller's orders (used by the success page)."""
        if not request.user.is_authenticated:
            return 401, {"detail": "Log in first."}
        order = Order.objects.filter(reference=reference, buyer=request.user).first()
        if order is None:
            return 404, {"detail": "No such order."}
        return {"reference": str(order.reference), "status": order.status}

    return router


def get_api() -> NinjaAPI:
    """The site's API, assembled on first use; later calls return the same object."""
    global _api
    with _lock:
        if _api is None:
            from marketplace_core.plugins.manager import get_plugin_manager

            api = NinjaAPI(title="Marketplace API", version=__version__, urls_namespace="api")
            api.add_router("/core/", _core_router())
            for group in get_plugin_manager().hook.register_api_routers():
                for spec in group or []:
                    # tags=[] would override the router's own tags with none at all.
                    api.add_router(
                        f"/{spec.prefix.strip('/')}/", spec.build(), tags=spec.tags or None
                    )
            _api = api
        return _api
