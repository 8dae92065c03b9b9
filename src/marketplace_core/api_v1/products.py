"""``/api/v1/products``: the key's seller's products, through the panel's form and
:mod:`marketplace_core.catalog.services` (the same rules as the seller panel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja import File, Query, Router, Schema, UploadedFile
from pydantic import Field

from marketplace_core.api_auth import ApiError, api_key_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES, rejected
from marketplace_core.api_v1.forms import form_data, validated
from marketplace_core.api_v1.pagination import CursorParams, Id, page, page_schema
from marketplace_core.api_v1.status import created
from marketplace_core.catalog import services
from marketplace_core.catalog.forms import ProductForm
from marketplace_core.catalog.models import Product
from marketplace_core.exceptions import Rejected
from marketplace_core.money import to_decimal

#: Refusals that are the site's fault, not the request's.
_UNAVAILABLE = {"storage_unavailable"}


class CatalogProductOut(Schema):
    id: int
    title: str
    slug: str
    description: str
    #: In the currency's main unit, as a string (``"19.99"``).
    price: str
    #: In minor units (cents).
    price_minor: int
    currency: str
    status: str
    is_active: bool
    categories: list[int]
    url: str
    file_name: str
    file_size: int | None
    file_updated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None


ProductPage = page_schema(CatalogProductOut, "ProductPage")


class ProductIn(Schema):
    title: str = Field(max_length=200)
    slug: str = Field("", max_length=220, description="Empty: made from the title.")
    description: str = ""
    price: Decimal = Field(description="In the currency's main unit, for example 19.99.")
    currency: str = Field("USD", max_length=3)
    categories: list[Id] = Field(default_factory=list, description="Your category ids.")


class ProductPatch(Schema):
    title: str | None = Field(None, max_length=200)
    slug: str | None = Field(None, max_length=220)
    description: str | None = None
    price: Decimal | None = None
    currency: str | None = Field(None, max_length=3)
    categories: list[Id] | None = None


class ProductFilters(CursorParams):
    status: Product.Status | None = None


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk, "title": product.title, "slug": product.slug,
        "description": product.description,
        "price": str(to_decimal(product.price, product.currency)),
        "price_minor": product.price, "currency": product.currency,
        "status": product.status, "is_active": product.is_active,
        # prefetched: no query per product
        "categories": sorted(category.pk for category in product.categories.all()),
        "url": product.get_absolute_url(), "file_name": product.file_name,
        "file_size": product.file_size, "file_updated_at": product.file_updated_at,
        "created_at": product.created_at, "updated_at": product.updated_at,
        "published_at": product.published_at,
    }


def _products(request: HttpRequest) -> QuerySet[Product]:
    return Product.objects.filter(seller_id=request.auth.seller.pk).prefetch_related(  # type: ignore[attr-defined]
        "categories")


def _product(request: HttpRequest, product_id: Id) -> Product:
    product = _products(request).filter(pk=product_id).first()
    if product is None:
        raise ApiError(404, "No such product.", "not_found")
    return product


def _current_values(product: Product) -> dict[str, Any]:
    return {"title": product.title, "slug": product.slug, "description": product.description,
            "price": to_decimal(product.price, product.currency), "currency": product.currency,
            "categories": [category.pk for category in product.categories.all()]}


def _save(request: HttpRequest, product: Product, values: dict[str, Any], *,
          publish: bool, files: MultiValueDict[str, Any] | None = None) -> Product:
    """Validate ``values`` with the panel's form, then save through the catalog service."""
    seller = request.auth.seller  # type: ignore[attr-defined]
    data = form_data({**values, "price": str(values["price"]) if values.get("price")
                      is not None else None})
    form = validated(ProductForm(data=data, files=files, instance=product, seller=seller,
                                 publish=publish))
    try:
        saved = services.save_product(
            form.instance, seller=seller, publish=publish,
            categories=form.cleaned_data.get("categories") or [],
            upload=form.cleaned_data.get("file"),
        )
    except Rejected as exc:
        raise rejected(exc, 503 if exc.code in _UNAVAILABLE else 409) from None
    return _product(request, saved.pk)  # fresh, with its categories


def build_router() -> Router:
    router = Router(tags=["products"], auth=api_key_auth("read"))

    @router.get("", response={200: ProductPage, **ERROR_RESPONSES}, url_name="v1_products")
    def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> Any:
        """Your products, newest first; ``status`` keeps drafts or published ones."""
        products = _products(request)
        if filters.status:
            products = products.filter(status=filters.status)
        return page(products, filters, rows=lambda objects: map(product_out, objects))

    @router.get("/{product_id}", response={200: CatalogProductOut, **ERROR_RESPONSES},
                url_name="v1_product")
    def get_product(request: HttpRequest, product_id: Id) -> Any:
        """One of your products (404 for any other id)."""
        return product_out(_product(request, product_id))

    @router.post("", response={201: CatalogProductOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def create_product(request: HttpRequest, payload: ProductIn) -> Any:
        """A new draft product (upload its file, then publish it)."""
        product = _save(request, Product(), payload.dict(), publish=False)
        return created(product_out(product))

    @router.patch("/{product_id}", response={200: CatalogProductOut, **ERROR_RESPONSES},
                  auth=api_key_auth("write"))
    def update_product(request: HttpRequest, product_id: Id, payload: ProductPatch) -> Any:
        """Change the fields given; a published product stays published."""
        product = _product(request, product_id)
        values = {**_current_values(product), **payload.dict(exclude_unset=True)}
        if values["price"] is None:
            raise ApiError(422, "The request is invalid.", "invalid", errors=[
                {"field": "price", "message": "A product needs a price.", "code": "required"}])
        publish = product.status == Product.Status.PUBLISHED
        return product_out(_save(request, product, values, publish=publish))

    @router.post("/{product_id}/publish", response={200: CatalogProductOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def publish_product(request: HttpRequest, product_id: Id) -> Any:
        """Put the product in the shop (409 ``file_required`` without a file)."""
        product = _product(request, product_id)
        return product_out(_save(request, product, _current_values(product), publish=True))

    @router.post("/{product_id}/unpublish", response={200: CatalogProductOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def unpublish_product(request: HttpRequest, product_id: Id) -> Any:
        """Take the product out of the shop; its buyers keep their downloads."""
        product = _product(request, product_id)
        services.unpublish_product(product, seller=request.auth.seller)  # type: ignore[attr-defined]
        return product_out(_product(request, product_id))

    @router.post("/{product_id}/file", response={200: CatalogProductOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def upload_file(request: HttpRequest, product_id: Id, file: File[UploadedFile]) -> Any:
        """Replace the file buyers download (multipart field ``file``), checked by the
        storage backend as in the panel."""
        product = _product(request, product_id)
        publish = product.status == Product.Status.PUBLISHED
        return product_out(_save(request, product, _current_values(product), publish=publish,
                                 files=MultiValueDict({"file": [file]})))

    return router
