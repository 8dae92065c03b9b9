"""Orders as the buyer's billing list: what was bought, when, for how much."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order, Payment

logger = logging.getLogger("marketplace_core.panels")


@dataclass(frozen=True)
class BillingRow:
    """One line of the order history."""

    #: The order's public reference (what support asks for).
    reference: str
    date: dt.datetime
    product_title: str
    #: The product page, or ``None`` when the product is no longer for sale.
    product_url: str | None
    amount: int
    currency: str
    status: str
    status_label: str
    #: The payment service's id for the charge (or the checkout), for staff and
    #: disputes; not shown to the buyer.
    provider_reference: str
    #: A receipt or invoice at the payment service, when it offers one.
    receipt_url: str | None
    #: Money given back for the order, oldest first.
    refunds: tuple[RefundLine, ...] = ()
    #: The discount code the buyer used (``""`` without one) and what it took off.
    discount_code: str = ""
    discount: int = 0

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def discount_display(self) -> str:
        return format_money(self.discount, self.currency)


@dataclass(frozen=True)
class RefundLine:
    """One refund under its order in the history."""

    date: dt.datetime
    amount: int
    currency: str

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


def provider_reference(order: Order) -> str:
    """The successful payment's id, else the latest attempt's, else the checkout's.

    Reads ``order.payments.all()``, which callers prefetch.
    """
    payments = list(order.payments.all())
    succeeded = [p for p in payments if p.status == Payment.Status.SUCCEEDED and not p.flag]
    chosen = succeeded or sorted(payments, key=lambda p: (p.created_at, p.pk), reverse=True)
    if chosen:
        return chosen[0].provider_payment_id
    return order.provider_checkout_id


def receipt_url(order: Order) -> str | None:
    """The order's receipt at its payment provider (``PaymentProvider.receipt_url``).

    ``None`` when the provider is no longer enabled, offers no receipts, or
    fails (logged): a broken link must not break the order history.
    """
    from marketplace_core.plugins.registry import payment_providers

    provider = payment_providers().get(order.provider)
    if provider is None:
        return None
    try:
        return provider.receipt_url(order)
    except Exception:
        logger.exception("Payment provider %r failed to give a receipt URL", order.provider)
        return None


def billing_rows(orders: Iterable[Order]) -> list[BillingRow]:
    """``orders`` (with ``product`` and ``discount_code`` selected, ``payments`` and
    ``refunds`` prefetched) as billing rows."""
    rows = []
    for order in orders:
        product = order.product
        rows.append(BillingRow(
            reference=str(order.reference),
            date=order.paid_at or order.created_at,
            product_title=product.title,
            product_url=product.get_absolute_url() if product.is_buyable else None,
            amount=order.amount,
            currency=order.currency,
            status=order.status,
            status_label=order.get_status_display(),
            provider_reference=provider_reference(order),
            receipt_url=receipt_url(order),
            refunds=tuple(RefundLine(refund.created_at, refund.amount, refund.currency)
                          for refund in sorted(order.refunds.all(),
                                               key=lambda r: (r.created_at, r.pk))),
            discount_code=order.discount_code.code if order.discount_code else "",
            discount=order.discount,
        ))
    return rows
