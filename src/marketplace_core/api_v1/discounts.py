"""``/api/v1/discount-codes``: the key's seller's codes, through the panel's
:class:`~marketplace_core.discounts.forms.DiscountCodeForm` and
:mod:`marketplace_core.discounts.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from marketplace_core.api_auth import ApiError, api_key_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES, rejected
from marketplace_core.api_v1.forms import form_data, validated
from marketplace_core.api_v1.pagination import CursorParams, Id, page, page_schema
from marketplace_core.api_v1.status import created
from marketplace_core.discounts import services
from marketplace_core.discounts.forms import DiscountCodeForm
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.exceptions import Rejected
from marketplace_core.money import to_decimal


class DiscountCodeOut(Schema):
    id: int
    code: str
    kind: str
    percent: int | None
    #: A fixed amount off in the currency's main unit (``"5.00"``), else ``None``.
    amount_off: str | None
    currency: str
    products: list[int]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    usage_limit: int | None
    once_per_buyer: bool
    is_active: bool
    #: Orders that used the code (paid ones, and checkouts still under way).
    used: int
    created_at: dt.datetime


DiscountCodePage = page_schema(DiscountCodeOut, "DiscountCodePage")


class DiscountCodeIn(Schema):
    code: str = Field(max_length=32)
    kind: DiscountCode.Kind = DiscountCode.Kind.PERCENTAGE
    percent: int | None = Field(None, description="For a percentage: 1 to 100.")
    amount_off: Decimal | None = Field(None, description="For a fixed amount, main unit.")
    currency: str = Field("", max_length=3)
    products: list[Id] = Field(default_factory=list, description="Empty: all products.")
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    usage_limit: int | None = None
    once_per_buyer: bool = False
    is_active: bool = True


class DiscountCodePatch(Schema):
    code: str | None = Field(None, max_length=32)
    kind: DiscountCode.Kind | None = None
    percent: int | None = None
    amount_off: Decimal | None = None
    currency: str | None = Field(None, max_length=3)
    products: list[Id] | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    usage_limit: int | None = None
    once_per_buyer: bool | None = None
    is_active: bool | None = None


class DeletedOut(Schema):
    #: ``False`` when orders used the code: it is deactivated and kept for them.
    deleted: bool


def code_out(code: DiscountCode) -> dict[str, Any]:
    return {
        "id": code.pk, "code": code.code, "kind": code.kind, "percent": code.percent,
        "amount_off": (str(to_decimal(code.amount, code.currency))
                       if code.amount is not None else None),
        "currency": code.currency,
        "products": sorted(product.pk for product in code.products.all()),
        "starts_at": code.starts_at, "ends_at": code.ends_at, "usage_limit": code.usage_limit,
        "once_per_buyer": code.once_per_buyer, "is_active": code.is_active,
        "used": getattr(code, "used", 0), "created_at": code.created_at,
    }


def _codes(request: HttpRequest) -> Any:
    codes = DiscountCode.objects.filter(seller_id=request.auth.seller.pk)  # type: ignore[attr-defined]
    return services.with_redemption_counts(codes).prefetch_related("products")


def _code(request: HttpRequest, code_id: Id) -> DiscountCode:
    code = _codes(request).filter(pk=code_id).first()
    if code is None:
        raise ApiError(404, "No such discount code.", "not_found")
    return code


def _current_values(code: DiscountCode) -> dict[str, Any]:
    return {"code": code.code, "kind": code.kind, "percent": code.percent,
            "amount_off": (to_decimal(code.amount, code.currency)
                           if code.amount is not None else None),
            "currency": code.currency,
            "products": [product.pk for product in code.products.all()],
            "starts_at": code.starts_at, "ends_at": code.ends_at,
            "usage_limit": code.usage_limit, "once_per_buyer": code.once_per_buyer,
            "is_active": code.is_active}


def _save(request: HttpRequest, code: DiscountCode, values: dict[str, Any]) -> DiscountCode:
    seller = request.auth.seller  # type: ignore[attr-defined]
    form = validated(DiscountCodeForm(data=form_data(values), instance=code, seller=seller))
    try:
        saved = services.save_code(form.instance, seller=seller,
                                   products=form.cleaned_data.get("products") or [])
    except Rejected as exc:
        raise rejected(exc, 422) from None
    return _code(request, saved.pk)


def build_router() -> Router:
    router = Router(tags=["discount codes"], auth=api_key_auth("read"))

    @router.get("", response={200: DiscountCodePage, **ERROR_RESPONSES},
                url_name="v1_discount_codes")
    def list_codes(request: HttpRequest, params: Query[CursorParams]) -> Any:
        """Your discount codes, newest first, with how often each was used."""
        return page(_codes(request), params, rows=lambda objects: map(code_out, objects))

    @router.get("/{code_id}", response={200: DiscountCodeOut, **ERROR_RESPONSES})
    def get_code(request: HttpRequest, code_id: Id) -> Any:
        return code_out(_code(request, code_id))

    @router.post("", response={201: DiscountCodeOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def create_code(request: HttpRequest, payload: DiscountCodeIn) -> Any:
        """A new code; the rules are the panel's (422 with field errors otherwise)."""
        return created(code_out(_save(request, DiscountCode(), payload.dict())))

    @router.patch("/{code_id}", response={200: DiscountCodeOut, **ERROR_RESPONSES},
                  auth=api_key_auth("write"))
    def update_code(request: HttpRequest, code_id: Id, payload: DiscountCodePatch) -> Any:
        """Change the fields given."""
        code = _code(request, code_id)
        values = {**_current_values(code), **payload.dict(exclude_unset=True)}
        return code_out(_save(request, code, values))

    @router.delete("/{code_id}", response={200: DeletedOut, **ERROR_RESPONSES},
                   auth=api_key_auth("write"))
    def delete_code(request: HttpRequest, code_id: Id) -> Any:
        """Delete the code, or deactivate it when orders used it (they keep it)."""
        return {"deleted": services.remove_code(_code(request, code_id))}

    return router
