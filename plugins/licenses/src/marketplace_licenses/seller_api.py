"""``/api/v1/license-keys``: the key's seller's license keys, for integrators.

Mounted through core's ``register_api_routers``, authenticated with a seller's
API key (:func:`marketplace_core.api_auth.api_key_auth`): reading needs the
``read`` scope, disabling, enabling and freeing an activation ``write``. The
same services as the seller's pages (:mod:`marketplace_licenses.services`), so
the same rules hold: another seller's key or activation is a 404, a key a
refund disabled cannot be enabled (409). As on the pages, a key is shown by
its prefix; the full key is the buyer's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from marketplace_core.api_auth import ApiError, api_key_auth
from marketplace_core.api_v1.errors import ERROR_RESPONSES
from marketplace_core.api_v1.pagination import CursorParams, Id, page, page_schema
from marketplace_core.exceptions import Rejected
from marketplace_core.people.records import person_related
from marketplace_core.people.users import email_of
from marketplace_licenses import services
from marketplace_licenses.models import Activation, LicenseKey


class ActivationOut(Schema):
    id: int
    instance_id: str
    name: str
    created_at: dt.datetime


class SellerLicenseKeyOut(Schema):
    id: int
    #: The first characters of the key, as the seller's pages show it.
    prefix: str
    product_id: int
    order_reference: str
    buyer_email: str
    #: ``active``, ``expired`` or ``disabled``.
    status: str
    #: Who disabled it: ``seller``, ``revocation`` (a refund), or empty.
    disabled_by: str
    activation_limit: int | None
    activation_usage: int
    expires_at: dt.datetime | None
    created_at: dt.datetime


class SellerLicenseKeyDetail(SellerLicenseKeyOut):
    activations: list[ActivationOut]


SellerLicenseKeyPage = page_schema(SellerLicenseKeyOut, "SellerLicenseKeyPage")


class KeyFilters(CursorParams):
    product: Id | None = Field(None, description="Only the keys of this product.")


def _out(key: LicenseKey, usage: int, now: dt.datetime) -> dict[str, Any]:
    return {"id": key.pk, "prefix": key.prefix, "product_id": key.product_id,
            "order_reference": str(key.purchase.order.reference) if key.purchase.order else "",
            "buyer_email": email_of(key.purchase.buyer), "status": key.status_at(now),
            "disabled_by": key.disabled_by, "activation_limit": key.activation_limit,
            "activation_usage": usage, "expires_at": key.expires_at,
            "created_at": key.created_at}


def _keys(request: HttpRequest) -> Any:
    return services.keys_of_seller(request.auth.seller).select_related(  # type: ignore[attr-defined]
        "purchase__order", *person_related("purchase__buyer"))


def _detail(request: HttpRequest, key_id: int) -> dict[str, Any]:
    key = _keys(request).filter(pk=key_id).first()
    if key is None:
        raise ApiError(404, "No such license key.", "not_found")
    activations = list(Activation.objects.filter(license_key=key))
    out = _out(key, len(activations), timezone.now())
    out["activations"] = [{"id": a.pk, "instance_id": str(a.instance_id), "name": a.name,
                           "created_at": a.created_at} for a in activations]
    return out


def build_router() -> Router:
    router = Router(tags=["license keys"], auth=api_key_auth("read"))

    @router.get("", response={200: SellerLicenseKeyPage, **ERROR_RESPONSES})
    def list_keys(request: HttpRequest, params: Query[KeyFilters]) -> Any:
        """Your products' license keys, newest first (``product`` narrows to one)."""
        queryset = _keys(request)
        if params.product is not None:
            queryset = queryset.filter(product_id=params.product)

        def rows(found: list[LicenseKey]) -> list[dict[str, Any]]:
            usage = services.usage_by_key([key.pk for key in found])
            now = timezone.now()
            return [_out(key, usage.get(key.pk, 0), now) for key in found]

        return page(queryset, params, rows=rows)

    @router.get("/{key_id}", response={200: SellerLicenseKeyDetail, **ERROR_RESPONSES})
    def get_key(request: HttpRequest, key_id: Id) -> Any:
        """One key with its activations."""
        return _detail(request, key_id)

    def _set_disabled(request: HttpRequest, key_id: int, *, disabled: bool) -> Any:
        try:
            services.set_disabled(request.auth.seller, key_id,  # type: ignore[attr-defined]
                                  disabled=disabled)
        except LicenseKey.DoesNotExist:
            raise ApiError(404, "No such license key.", "not_found") from None
        except Rejected as exc:
            raise ApiError(409, exc.message, exc.code or "rejected") from None
        return _detail(request, key_id)

    @router.post("/{key_id}/disable", response={200: SellerLicenseKeyDetail, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def disable_key(request: HttpRequest, key_id: Id) -> Any:
        """Disable the key: the license API then answers for it as for a wrong key."""
        return _set_disabled(request, key_id, disabled=True)

    @router.post("/{key_id}/enable", response={200: SellerLicenseKeyDetail, **ERROR_RESPONSES},
                 auth=api_key_auth("write"))
    def enable_key(request: HttpRequest, key_id: Id) -> Any:
        """Enable a key you disabled (409 ``revoked`` for one a refund disabled)."""
        return _set_disabled(request, key_id, disabled=False)

    @router.delete("/{key_id}/activations/{activation_id}",
                   response={200: SellerLicenseKeyDetail, **ERROR_RESPONSES},
                   auth=api_key_auth("write"))
    def free_activation(request: HttpRequest, key_id: Id, activation_id: Id) -> Any:
        """Remove one activation of the key, freeing a slot."""
        if not Activation.objects.filter(pk=activation_id, license_key_id=key_id).exists():
            raise ApiError(404, "No such activation.", "not_found")
        try:
            services.free_activation(request.auth.seller, activation_id)  # type: ignore[attr-defined]
        except Activation.DoesNotExist:
            raise ApiError(404, "No such activation.", "not_found") from None
        return _detail(request, key_id)

    return router
