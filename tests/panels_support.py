"""Helpers for the panel and analytics tests: sales made through core's services.

Every order, payment, refund and purchase is created by
:mod:`marketplace_core.ownership.services`, the way a provider's webhook would;
``time_machine`` puts a sale in the past (the services read the clock).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import time_machine

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.testing.factories import logged_in as logged_in  # re-exported

_ids = itertools.count(1)


def sell(buyer, product, *, at: dt.datetime | None = None, provider: str = "dummy") -> Order:
    """``buyer`` pays for ``product`` (at ``at``, if given); returns the paid order."""

    def pay() -> Order:
        order = services.start_checkout(buyer=buyer, product=product, provider=provider)
        outcome = services.confirm_payment(
            provider=provider, order_reference=order.reference,
            provider_payment_id=f"pay_{next(_ids)}", amount=order.amount,
            currency=order.currency,
        )
        assert outcome == services.Outcome.CONFIRMED, outcome
        order.refresh_from_db()
        return order

    if at is None:
        return pay()
    with time_machine.travel(at, tick=False):
        return pay()


def refund(order: Order, amount: int | None = None) -> services.Outcome:
    """Refund ``amount`` (default: all) of ``order`` in its currency."""
    return services.record_refund(
        provider=order.provider, order_reference=order.reference,
        provider_refund_id=f"ref_{next(_ids)}", amount=amount, currency=order.currency,
    )


def fail(buyer, product) -> Order:
    """A checkout whose payment failed."""
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    services.record_payment_failure(
        provider="dummy", order_reference=order.reference,
        provider_payment_id=f"pay_{next(_ids)}", reason="card declined",
    )
    order.refresh_from_db()
    return order


def purchase_of(order: Order) -> PurchasedProduct:
    return PurchasedProduct.objects.get(order=order)


def data_values(html: str, attribute: str) -> list[str]:
    """Values of ``data-<attribute>="..."`` in page order."""
    return re.findall(rf'data-{attribute}="([^"]*)"', html)


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
