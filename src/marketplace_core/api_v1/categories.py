"""``/api/v1/categories``: the key's seller's categories (list, create), through the
panel's form and :func:`marketplace_core.catalog.services.save_category`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from marketplace_core.api_auth import api_key_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES, rejected
from marketplace_core.api_v1.forms import form_data, validated
from marketplace_core.api_v1.pagination import CursorParams, page, page_schema
from marketplace_core.api_v1.status import created
from marketplace_core.catalog import services
from marketplace_core.catalog.forms import CategoryForm
from marketplace_core.catalog.models import Category
from marketplace_core.exceptions import Rejected


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    created_at: dt.datetime


CategoryPage = page_schema(CategoryOut, "CategoryPage")


class CategoryIn(Schema):
    name: str = Field(max_length=80)


def build_router() -> Router:
    router = Router(tags=["categories"], auth=api_key_auth("read"))

    @router.get("", response={200: CategoryPage, **ERROR_RESPONSES}, url_name="v1_categories")
    def list_categories(request: HttpRequest, params: Query[CursorParams]) -> Any:
        """Your categories, newest first."""
        return page(Category.objects.filter(seller_id=request.auth.seller.pk), params)  # type: ignore[attr-defined]

    @router.post("", response={201: CategoryOut, **ERROR_RESPONSES}, auth=api_key_auth("write"))
    def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
        """A new category (422 ``name_taken`` when you have one of that name)."""
        seller = request.auth.seller  # type: ignore[attr-defined]
        form = validated(CategoryForm(data=form_data(payload.dict()), seller=seller))
        try:
            category = services.save_category(form.instance, seller=seller)
        except Rejected as exc:
            raise rejected(exc) from None
        return created(category)

    return router
