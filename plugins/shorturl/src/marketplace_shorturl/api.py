"""``/api/v1/short-links``: the key's seller's short links for integrators.

Mounted through core's ``register_api_routers``; authenticated with a seller's
API key (:func:`marketplace_core.api_auth.api_key_auth`). Input goes through
the panel's :class:`~marketplace_shorturl.forms.ShortURLForm` (destination
rules, slug rules, expiry in the future) and :mod:`marketplace_shorturl.services`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from marketplace_core.api_auth import ApiError, api_key_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES
from marketplace_core.api_v1.forms import form_data, validated
from marketplace_core.api_v1.pagination import CursorParams, Id, page, page_schema
from marketplace_core.api_v1.status import created, with_status
from marketplace_shorturl import services
from marketplace_shorturl.forms import ShortURLForm
from marketplace_shorturl.models import DESTINATION_MAX_LENGTH, SLUG_MAX_LENGTH, ShortURL
from marketplace_shorturl.urlbuilder import short_url_base


class ShortLinkOut(Schema):
    id: int
    slug: str
    #: The full short URL to share.
    short_url: str
    destination: str
    is_active: bool
    expires_at: dt.datetime | None
    max_visits: int | None
    clicks: int
    created_at: dt.datetime
    updated_at: dt.datetime


ShortLinkPage = page_schema(ShortLinkOut, "ShortLinkPage")


class ShortLinkIn(Schema):
    destination: str = Field(max_length=DESTINATION_MAX_LENGTH)
    slug: str = Field("", max_length=SLUG_MAX_LENGTH, description="Empty: a random one.")
    expires_at: dt.datetime | None = None
    max_visits: int | None = None
    is_active: bool = True


class ShortLinkPatch(Schema):
    destination: str | None = Field(None, max_length=DESTINATION_MAX_LENGTH)
    slug: str | None = Field(None, max_length=SLUG_MAX_LENGTH)
    expires_at: dt.datetime | None = None
    max_visits: int | None = None
    is_active: bool | None = None


def _out(request: HttpRequest, link: ShortURL) -> dict[str, Any]:
    return {"id": link.pk, "slug": link.slug, "short_url": short_url_base(request) + link.path,
            "destination": link.destination, "is_active": link.is_active,
            "expires_at": link.expires_at, "max_visits": link.max_visits,
            "clicks": link.clicks, "created_at": link.created_at,
            "updated_at": link.updated_at}


def _link(request: HttpRequest, link_id: Id) -> ShortURL:
    link = ShortURL.objects.filter(seller_id=request.auth.seller.pk, pk=link_id).first()  # type: ignore[attr-defined]
    if link is None:
        raise ApiError(404, "No such short link.", "not_found")
    return link


def _slug_taken() -> ApiError:
    return ApiError(422, "The request is invalid.", "invalid", errors=[
        {"field": "slug", "message": "This slug is already taken.", "code": "slug_taken"}])


def build_router() -> Router:
    router = Router(tags=["short links"], auth=api_key_auth("read"))

    @router.get("", response={200: ShortLinkPage, **ERROR_RESPONSES})
    def list_links(request: HttpRequest, params: Query[CursorParams]) -> Any:
        """Your short links, newest first, with their click counts."""
        links = ShortURL.objects.filter(seller_id=request.auth.seller.pk)  # type: ignore[attr-defined]
        return page(links, params, rows=lambda objects: [_out(request, o) for o in objects])

    @router.get("/{link_id}", response={200: ShortLinkOut, **ERROR_RESPONSES})
    def get_link(request: HttpRequest, link_id: Id) -> Any:
        return _out(request, _link(request, link_id))

    @router.post("", response={201: ShortLinkOut, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def create_link(request: HttpRequest, payload: ShortLinkIn) -> Any:
        """A new short link (destination and slug checked as in the panel)."""
        form = validated(ShortURLForm(data=form_data(payload.dict()), request=request))
        try:
            link = services.create_link(request.auth.seller, form.link_data())  # type: ignore[attr-defined]
        except services.SlugTaken:
            raise _slug_taken() from None
        except services.NoFreeSlug:
            raise ApiError(409, "No free slug could be generated; choose one.",
                           "no_free_slug") from None
        return created(_out(request, link))

    @router.patch("/{link_id}", response={200: ShortLinkOut, **ERROR_RESPONSES},
                  auth=api_key_auth("write"))
    def update_link(request: HttpRequest, link_id: Id, payload: ShortLinkPatch) -> Any:
        """Change the fields given; every process sees the change on its next redirect."""
        link = _link(request, link_id)
        values = {"destination": link.destination, "slug": link.slug,
                  "expires_at": link.expires_at, "max_visits": link.max_visits,
                  "is_active": link.is_active, **payload.dict(exclude_unset=True)}
        form = validated(ShortURLForm(data=form_data(values), request=request, instance=link))
        try:
            services.update_link(link, form.link_data())
        except services.SlugTaken:
            raise _slug_taken() from None
        return _out(request, _link(request, link_id))

    @router.delete("/{link_id}", response={204: None, **ERROR_RESPONSES},
                   auth=api_key_auth("write"))
    def delete_link(request: HttpRequest, link_id: Id) -> Any:
        """Delete the link; its short URL answers 404 from the next request on."""
        services.delete_link(_link(request, link_id))
        return with_status(204, None)

    return router
