"""A refund-taking payment service for the refund request tests, and paid orders.

``DeskPay`` stands for a third-party service (like Dodo's fake in the Dodo
plugin): it records what core asked and answers as it is told to. Core's own
code paths (services, tasks, views) run for real around it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pytest

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.payments.dummy import DummyProvider
from marketplace_core.payments.providers import (
    RefundRejected,
    RefundRequested,
    RefundUnavailable,
)
from tests.payments_support import fake_plugins, plugin_module


@dataclass(frozen=True)
class Call:
    order: str
    payment_id: str
    amount: int
    reason: str
    idempotency_key: str


class DeskPay(DummyProvider):
    """Takes refund requests; ``answer`` says how: with a refund id, a refusal or no answer."""

    identifier = "desk"
    verbose_name = "Desk Pay"
    supports_refunds = True
    supports_partial_refunds = True
    calls: ClassVar[list[Call]] = []
    answer: ClassVar[Literal["id", "no_id", "reject", "unavailable"]] = "id"

    def request_refund(self, *, order: Any, payment: Any, amount: int, reason: str,
                       idempotency_key: str) -> RefundRequested:
        self.calls.append(Call(str(order.reference), payment.provider_payment_id, amount, reason,
                               idempotency_key))
        if self.answer == "reject":
            raise RefundRejected("The card of this payment has expired.")
        if self.answer == "unavailable":
            raise RefundUnavailable("Desk Pay is down")
        return RefundRequested(refund_id(idempotency_key) if self.answer == "id" else "")


class WholeDeskPay(DeskPay):
    identifier = "wholedesk"
    verbose_name = "Whole Desk Pay"
    supports_partial_refunds = False


class CashDesk(DummyProvider):
    """A service that takes no refund requests (the contract's default)."""

    identifier = "cash"
    verbose_name = "Cash Desk"
    supports_refunds = False


def refund_id(idempotency_key: str) -> str:
    return f"desk_ref_{idempotency_key}"


@contextmanager
def desk_providers() -> Iterator[type[DeskPay]]:
    DeskPay.calls = []
    DeskPay.answer = "id"
    with fake_plugins(plugin_module("desk_payments", register_payment_providers=lambda: [
            DeskPay, WholeDeskPay, CashDesk])):
        yield DeskPay


def paid_order(buyer: Any, product: Any, provider: str = "desk") -> Order:
    order = services.start_checkout(buyer=buyer, product=product, provider=provider,
                                    billing={"email": "buyer-billing@example.com"},
                                    site_url="http://testserver")
    services.confirm_payment(provider=provider, order_reference=order.reference,
                             provider_payment_id=f"pay_{order.reference.hex[:10]}",
                             amount=order.amount, currency=order.currency)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def webhook_refund(order: Order, refund_id: str, amount: int | None = None) -> str:
    """The provider's ``refund_succeeded`` as core applies it (what the endpoint calls)."""
    return services.record_refund(
        provider=order.provider, order_reference=order.reference,
        provider_refund_id=refund_id, amount=order.amount if amount is None else amount,
        currency=order.currency, provider_payment_id=f"pay_{order.reference.hex[:10]}",
    ).value


# --- fixtures the refund tests share (import them into a test module) ----------


@pytest.fixture
def desk() -> Iterator[type[DeskPay]]:
    """Desk Pay, Whole Desk Pay and Cash Desk registered as payment providers."""
    with desk_providers() as provider:
        yield provider


@pytest.fixture
def seller(make_seller: Any) -> Any:
    return make_seller(email="seller@example.com")


@pytest.fixture
def order(desk: type[DeskPay], seller: Any, make_user: Any, make_product: Any) -> Order:
    """A 20.00 USD sale of ``seller``'s, paid through Desk Pay."""
    return paid_order(make_user(email="buyer@example.com"),
                      make_product(seller=seller, title="Field Guide", price=2000,
                                   currency="USD"))
