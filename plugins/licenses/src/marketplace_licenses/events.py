"""The one place where activations and deactivations are recorded.

Every activation made or removed (through the license API or by the seller
freeing one) passes through :func:`activation_recorded`, inside the
transaction that made the change. Outbound webhooks (``license.activated`` /
``license.deactivated``) are wired here, in one line, once they exist.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from marketplace_licenses.models import Activation, LicenseKey

logger = logging.getLogger("licenses")

ActivationEvent = Literal["activated", "deactivated"]


def activation_recorded(event: ActivationEvent, license_key: LicenseKey,
                        activation: Activation) -> None:
    """``activation`` of ``license_key`` was made (``"activated"``) or removed
    (``"deactivated"``). Called inside the transaction of the change; anything
    sent outwards must go through ``after_commit``."""
    logger.info("License key %s of product %s %s on instance %s", license_key.prefix,
                license_key.product_id, event, activation.instance_id)
