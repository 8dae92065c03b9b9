"""Core's webhook events, sent from core's own event hooks (after the change committed).

Payloads are documented in docs/webhooks-outbound.md; change both together.
Each event has a key, so a hook delivered twice sends the event once, and the
catch-up sweep (:mod:`.catch_up`) can tell which money events were sent.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Subquery

from marketplace_core.catalog.models import Product
from marketplace_core.outbound.events import ORDER_PAID, ORDER_REFUNDED, PRODUCT_PUBLISHED
from marketplace_core.outbound.services import emit
from marketplace_core.ownership.models import Order, Payment, Refund
from marketplace_core.people.users import email_of


def _seller_of(order: Order) -> Any:
    """The seller of ``order``'s product as a subquery: the endpoints are found in one
    query, without loading the product when nobody listens."""
    return Subquery(Product.objects.filter(pk=order.product_id).values("seller_id")[:1])


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def product_data(product: Product) -> dict[str, Any]:
    return {"id": product.pk, "slug": product.slug, "title": product.title,
            "price": product.price, "currency": product.currency}


def order_data(order: Order) -> dict[str, Any]:
    """An order as events show it: no buyer address or billing details beyond the email."""
    return {
        "reference": str(order.reference),
        "status": order.status,
        "amount": order.amount,
        "currency": order.currency,
        "discount_code": order.discount_code.code if order.discount_code is not None else None,
        "buyer_email": email_of(order.buyer),
        "created_at": _time(order.created_at),
        "paid_at": _time(order.paid_at),
        "product": product_data(order.product),
    }


def order_paid_key(order: Order) -> str:
    return f"{ORDER_PAID}:{order.pk}"


def order_paid_data(order: Order, payment: Payment) -> dict[str, Any]:
    return {"order": order_data(order),
            "payment": {"provider": payment.provider, "id": payment.provider_payment_id,
                        "amount": payment.amount, "currency": payment.currency}}


def order_paid(order: Order, payment: Payment) -> None:
    """``order.paid`` to the product's seller."""
    emit(_seller_of(order), ORDER_PAID, lambda: order_paid_data(order, payment),
         key=order_paid_key(order))


def order_refunded_key(refund: Refund) -> str:
    return f"{ORDER_REFUNDED}:{refund.pk}"


def order_refunded_data(order: Order, refund: Refund) -> dict[str, Any]:
    return {"order": order_data(order),
            "refund": {"provider": refund.provider, "id": refund.provider_refund_id,
                       "amount": refund.amount, "currency": refund.currency,
                       "reason": refund.reason, "created_at": _time(refund.created_at)}}


def order_refunded(order: Order, refund: Refund) -> None:
    """``order.refunded`` to the product's seller, once per refund."""
    emit(_seller_of(order), ORDER_REFUNDED, lambda: order_refunded_data(order, refund),
         key=order_refunded_key(refund))


def product_published(product: Product) -> None:
    """``product.published`` the first time ``product`` is published (later saves of
    a published product carry the same key and send nothing)."""
    if product.status != Product.Status.PUBLISHED or product.published_at is None:
        return
    data = {"product": {**product_data(product), "published_at": _time(product.published_at)}}
    emit(product.seller_id, PRODUCT_PUBLISHED, data, key=f"{PRODUCT_PUBLISHED}:{product.pk}")
