"""Helpers shared by the support plugin's tests."""

from __future__ import annotations

from typing import Any

from marketplace_core.ownership import services
from marketplace_core.ownership.models import PurchasedProduct


def buy(buyer: Any, product: Any) -> PurchasedProduct:
    """Pay for ``product`` through core's services, as a verified webhook would."""
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    outcome = services.confirm_payment(
        provider="dummy", order_reference=order.reference,
        provider_payment_id=f"pay_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )
    assert outcome == services.Outcome.CONFIRMED
    return PurchasedProduct.objects.select_related("product").get(order=order)


def refund(purchase: PurchasedProduct) -> None:
    """Refund the order of ``purchase`` (core revokes the ownership)."""
    order = purchase.order
    services.record_refund(
        provider="dummy", order_reference=order.reference,
        provider_refund_id=f"ref_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )
