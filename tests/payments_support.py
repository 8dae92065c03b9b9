"""Helpers shared by the payment tests: fake plugins, event recording, deliveries.

Nothing here replaces core code. A "fake plugin" is a real module object with
``@hookimpl`` functions, registered on a real plugin manager built by
:func:`marketplace_core.plugins.manager.build_plugin_manager`; the module
globals of the manager are saved and restored around each use.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from django.db import connection, connections
from django.test import Client

from marketplace_core import hookimpl
from marketplace_core.ownership.models import (
    Order,
    Payment,
    PurchasedProduct,
    Refund,
)
from marketplace_core.plugins import manager, registry
from marketplace_core.testing.contracts import csrf_token
from marketplace_core.testing.factories import DEFAULT_PASSWORD

WEBHOOK_URL = "/payments/webhooks/dummy/"


@contextmanager
def fake_plugins(*modules: types.ModuleType) -> Iterator[None]:
    """Run the block with ``modules`` registered as plugins (after core's defaults)."""
    saved = (manager._manager, manager._enabled)
    pm = manager.build_plugin_manager(())
    for module in modules:
        manager.register(pm, module, module.__name__)
    pm.check_pending()
    manager._manager = pm
    registry.clear()
    try:
        yield
    finally:
        manager._manager, manager._enabled = saved
        registry.clear()


def plugin_module(name: str, **hooks: Callable[..., Any]) -> types.ModuleType:
    """A module named ``name`` whose attributes are the ``hooks``, marked as hookimpls."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


@dataclass
class Recorded:
    """One event as a plugin saw it."""

    name: str
    order_reference: str
    in_transaction: bool
    #: What another database connection saw at delivery time (proves the commit).
    committed_view: dict[str, Any] = field(default_factory=dict)


class EventRecorder:
    """A fake plugin recording every payment and ownership event it receives."""

    def __init__(self) -> None:
        self.events: list[Recorded] = []
        record = self._record

        # Plain functions (pluggy marks them), named like the hookspecs' parameters.
        def payment_confirmed(order: Order, payment: Payment) -> None:
            record("payment_confirmed", order)

        def payment_failed(order: Order, payment: Payment) -> None:
            record("payment_failed", order)

        def ownership_granted(purchase: PurchasedProduct) -> None:
            record("ownership_granted", purchase.order)

        def ownership_revoked(purchase: PurchasedProduct, reason: str) -> None:
            record("ownership_revoked", purchase.order)

        def refund_recorded(order: Order, refund: Refund) -> None:
            record("refund_recorded", order)

        self.module = plugin_module(
            "fake_event_listener",
            payment_confirmed=payment_confirmed,
            payment_failed=payment_failed,
            ownership_granted=ownership_granted,
            ownership_revoked=ownership_revoked,
            refund_recorded=refund_recorded,
        )

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def _record(self, name: str, order: Order) -> None:
        self.events.append(
            Recorded(
                name=name,
                order_reference=str(order.reference),
                in_transaction=connection.in_atomic_block,
                committed_view=_seen_from_another_connection(order.pk),
            )
        )


def _seen_from_another_connection(order_pk: int) -> dict[str, Any]:
    """The order's state as a fresh connection in another thread reads it."""
    seen: dict[str, Any] = {}

    def read() -> None:
        try:
            order = Order.objects.get(pk=order_pk)
            seen["status"] = order.status
            seen["active_purchases"] = PurchasedProduct.objects.active().filter(
                order=order
            ).count()
            seen["refunds"] = Refund.objects.filter(order=order).count()
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(30)
    return seen


def meta(headers: dict[str, str]) -> dict[str, str]:
    """HTTP headers as Django test client keyword arguments."""
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


def post_webhook(client: Client, body: bytes, headers: dict[str, str],
                 url: str = WEBHOOK_URL) -> Any:
    """POST a raw delivery like a provider does."""
    return client.post(url, data=body, content_type="application/json", **meta(headers))


# -------------------------------------------------------------------------
# a browser-like session against the live server
# -------------------------------------------------------------------------


def logged_in_session(base_url: str, email: str) -> requests.Session:
    """A ``requests`` session logged in as ``email`` through the login form."""
    session = requests.Session()
    page = session.get(f"{base_url}/accounts/login/")
    response = session.post(
        f"{base_url}/accounts/login/",
        data={"username": email, "password": DEFAULT_PASSWORD,
              "csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    assert response.ok and "/accounts/login/" not in response.url, "login failed"
    return session


def submit(session: requests.Session, url: str, page_html: str, **data: str) -> requests.Response:
    """POST a form on ``url`` (whose HTML is ``page_html``) like a browser."""
    return session.post(url, data={**data, "csrfmiddlewaretoken": csrf_token(page_html)},
                        headers={"Referer": url})
