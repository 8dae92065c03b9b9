"""The event types sellers can subscribe to: core's and the plugins'.

Collected from the ``register_webhook_events`` hook the first time they are
needed, and again when the plugin manager is rebuilt. A plugin adds its own in
one line of its hooks module::

    @hookimpl
    def register_webhook_events():
        return [WebhookEventType("license.activated", "A license key was activated.")]
"""

from __future__ import annotations

import threading

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_noop as N_

from marketplace_core.plugins.manager import call, get_plugin_manager
from marketplace_core.plugins.types import WebhookEventType

ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
PRODUCT_PUBLISHED = "product.published"
#: What "Send test event" sends; every endpoint may receive it, subscribed or not.
TEST_EVENT = "webhook.test"

#: Core's own event types (registered by core's default hook implementations).
CORE_EVENTS = (
    WebhookEventType(ORDER_PAID, N_("An order was paid and its buyer owns the product.")),
    WebhookEventType(ORDER_REFUNDED, N_("Money was given back for an order.")),
    WebhookEventType(PRODUCT_PUBLISHED, N_("A product was published for the first time.")),
)

_lock = threading.Lock()
_cache: dict[object, dict[str, WebhookEventType]] = {}


def event_types() -> dict[str, WebhookEventType]:
    """Every registered event type by name, in registration order (plugins first).

    Raises ``ImproperlyConfigured`` naming the plugin when a name is registered twice.
    """
    pm = get_plugin_manager()
    with _lock:
        if pm in _cache:
            return _cache[pm]
        found: dict[str, WebhookEventType] = {}
        for plugin, types in call("register_webhook_events", {}).answers:
            for event in types or []:
                if event.name in found:
                    raise ImproperlyConfigured(
                        f"Plugin {plugin!r} registered webhook event {event.name!r}, "
                        "which is registered already.")
                found[event.name] = event
        _cache.clear()
        _cache[pm] = found
        return found
