"""``/api/v1/orders``, ``/refunds`` and ``/customers``: what the key's seller sold.

Orders are those of the seller's products; refunds are started through
:func:`marketplace_core.ownership.refund_requests.request_refund`, exactly as the
panel's refund form does; customers are grouped as on the customers page
(:mod:`marketplace_core.analytics.customers`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from marketplace_core.analytics.customers import customers
from marketplace_core.api_auth import ApiError, api_key_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES, rejected
from marketplace_core.api_v1.pagination import CursorParams, Id, page, page_schema
from marketplace_core.api_v1.status import created
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import Order, RefundRequest
from marketplace_core.ownership.refund_requests import request_refund
from marketplace_core.panels.seller_customers import customer_rows
from marketplace_core.people.users import email_of


class OrderOut(Schema):
    reference: UUID
    product_id: Id
    product_title: str
    status: str
    #: Paid, in minor units.
    amount: int
    currency: str
    discount_code: str | None
    buyer_email: str
    created_at: dt.datetime
    paid_at: dt.datetime | None


OrderPage = page_schema(OrderOut, "OrderPage")


class OrderFilters(CursorParams):
    created_from: dt.datetime | None = Field(None, description="Created at or after.")
    created_to: dt.datetime | None = Field(None, description="Created before.")
    status: Order.Status | None = None
    product: Id | None = Field(None, description="A product id.")


class RefundOut(Schema):
    reference: UUID
    order_reference: UUID
    amount: int
    currency: str
    status: str
    reason: str
    failure_reason: str
    created_at: dt.datetime


RefundPage = page_schema(RefundOut, "RefundPage")


class RefundIn(Schema):
    #: Minor units; the provider may only take the whole rest of the order.
    amount: int = Field(ge=1, le=2_147_483_647)
    reason: str = Field("", max_length=255)


class CurrencyTotalOut(Schema):
    currency: str
    paid: int
    refunded: int


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    guest: bool
    first_purchase: dt.datetime
    last_purchase: dt.datetime
    purchases: int
    totals: list[CurrencyTotalOut]


CustomerPage = page_schema(CustomerOut, "CustomerPage")


def order_out(order: Order) -> dict[str, Any]:
    return {
        "reference": order.reference, "product_id": order.product_id,
        "product_title": order.product.title, "status": order.status, "amount": order.amount,
        "currency": order.currency,
        "discount_code": order.discount_code.code if order.discount_code else None,
        "buyer_email": email_of(order.buyer), "created_at": order.created_at,
        "paid_at": order.paid_at,
    }


def refund_out(refund: RefundRequest) -> dict[str, Any]:
    return {"reference": refund.reference, "order_reference": refund.order.reference,
            "amount": refund.amount, "currency": refund.currency, "status": refund.status,
            "reason": refund.reason, "failure_reason": refund.failure_reason,
            "created_at": refund.created_at}


def _seller(request: HttpRequest) -> Any:
    return request.auth.seller  # type: ignore[attr-defined]


def _orders(request: HttpRequest) -> Any:
    return (Order.objects.filter(product__seller_id=_seller(request).pk)
            .select_related("product", "buyer", "discount_code"))


def build_router() -> Router:
    router = Router(tags=["sales"], auth=api_key_auth("read"))

    @router.get("/orders", response={200: OrderPage, **ERROR_RESPONSES}, url_name="v1_orders")
    def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
        """Orders of your products, newest first, filtered by creation time, status
        and product."""
        orders = _orders(request)
        if filters.created_from:
            orders = orders.filter(created_at__gte=filters.created_from)
        if filters.created_to:
            orders = orders.filter(created_at__lt=filters.created_to)
        if filters.status:
            orders = orders.filter(status=filters.status)
        if filters.product is not None:
            orders = orders.filter(product_id=filters.product)
        return page(orders, filters, rows=lambda objects: map(order_out, objects))

    @router.get("/orders/{reference}", response={200: OrderOut, **ERROR_RESPONSES},
                url_name="v1_order")
    def get_order(request: HttpRequest, reference: UUID) -> Any:
        """One order of your products (404 for any other reference)."""
        order = _orders(request).filter(reference=reference).first()
        if order is None:
            raise ApiError(404, "No such order.", "not_found")
        return order_out(order)

    @router.post("/orders/{reference}/refunds", response={201: RefundOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def start_refund(request: HttpRequest, reference: UUID, payload: RefundIn) -> Any:
        """Ask the payment provider to refund ``amount`` of the order. The refund is
        final once the provider confirms it (the order then shows ``refunded``)."""
        try:
            refund = request_refund(seller=_seller(request), order_reference=reference,
                                    amount=payload.amount, reason=payload.reason)
        except Rejected as exc:
            raise rejected(exc) from None
        return created(refund_out(RefundRequest.objects.select_related("order").get(pk=refund.pk)))

    @router.get("/refunds", response={200: RefundPage, **ERROR_RESPONSES},
                url_name="v1_refunds")
    def list_refunds(request: HttpRequest, params: Query[CursorParams]) -> Any:
        """Refunds you asked for, newest first, with their progress."""
        refunds = RefundRequest.objects.filter(
            order__product__seller_id=_seller(request).pk).select_related("order")
        return page(refunds, params, rows=lambda objects: map(refund_out, objects))

    @router.get("/customers", response={200: CustomerPage, **ERROR_RESPONSES},
                url_name="v1_customers")
    def list_customers(request: HttpRequest, params: Query[CursorParams]) -> Any:
        """Everyone who bought one of your products, latest purchase first, with their
        totals per currency (minor units)."""
        seller = _seller(request)

        def rows(users: list[Any]) -> list[dict[str, Any]]:
            # The customers page's rows: one query for the page's totals.
            return [
                {"id": user.pk, "name": row.name, "email": row.email, "guest": row.guest,
                 "first_purchase": row.first_purchase, "last_purchase": row.last_purchase,
                 "purchases": row.purchases,
                 "totals": [{"currency": t.currency, "paid": t.paid, "refunded": t.refunded}
                            for t in row.totals]}
                for user, row in zip(users, customer_rows(seller, users), strict=True)
            ]

        return page(customers(seller), params, time_field="last_purchase", rows=rows)

    return router
