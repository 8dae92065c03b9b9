"""The one place where activations and deactivations are recorded, and their webhooks.

Every activation made or removed (through the license API or by the seller
freeing one) passes through :func:`activation_recorded`, inside the
transaction that made the change; it queues ``license.activated`` /
``license.deactivated`` for the seller's endpoints through core's
:func:`marketplace_core.outbound.services.emit`, sent only if that
transaction commits. Payloads: docs/licenses.md, "Outbound webhooks".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from django.utils.translation import gettext_noop as N_

from marketplace_core.outbound.services import emit
from marketplace_core.plugins.types import WebhookEventType

if TYPE_CHECKING:
    from marketplace_licenses.models import Activation, LicenseKey

logger = logging.getLogger("licenses")

ActivationEvent = Literal["activated", "deactivated"]

#: The plugin's outbound webhook events (``register_webhook_events``).
EVENTS = [
    WebhookEventType("license.activated", N_("A license key was activated on an instance.")),
    WebhookEventType("license.deactivated",
                     N_("An activation of a license key was removed, by its client or by you.")),
]


def activation_data(license_key: LicenseKey, activation: Activation) -> dict[str, Any]:
    """The payload of ``license.activated`` and ``license.deactivated``."""
    return {
        "license_key": {"id": license_key.pk, "prefix": license_key.prefix,
                        "product_id": license_key.product_id,
                        "order_reference": str(license_key.purchase.order.reference),
                        "status": license_key.status,
                        "activation_limit": license_key.activation_limit,
                        "expires_at": (license_key.expires_at.isoformat()
                                       if license_key.expires_at else None)},
        "instance": {"id": str(activation.instance_id), "name": activation.name,
                     "created_at": activation.created_at.isoformat()},
    }


def activation_recorded(event: ActivationEvent, license_key: LicenseKey,
                        activation: Activation) -> None:
    """``activation`` of ``license_key`` was made (``"activated"``) or removed
    (``"deactivated"``). Called inside the transaction of the change; the
    webhook goes out after it commits (once per instance and event)."""
    logger.info("License key %s of product %s %s on instance %s", license_key.prefix,
                license_key.product_id, event, activation.instance_id)
    event_type = f"license.{event}"
    emit(license_key.product.seller_id, event_type,
         lambda: activation_data(license_key, activation),
         key=f"{event_type}:{activation.instance_id}")
