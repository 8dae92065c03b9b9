"""The buyer's download page of one owned product, and the seller's version deletion.

``/account/products/<product id>/downloads/`` lists the product's file
versions, newest first, with their release notes, a Download button for each
(the latest is the default), how many downloads the purchase has left and how
long a link works. Another buyer's product, a product nobody sold this user
and a refunded (revoked) purchase are all 404. The downloads themselves go
through ``storage.views.download_redirect`` like every other download.

``/seller/products/<product id>/versions/<version id>/delete/`` asks, then
(POST) deletes one version through :func:`catalog.file_versions.delete_version`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from marketplace_core.catalog.file_versions import delete_version, versions_of
from marketplace_core.catalog.models import ProductFileVersion
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.panels.mixins import CustomerPanelMixin, SellerPanelMixin
from marketplace_core.people.records import person_related
from marketplace_core.storage.backends import download_link_ttl
from marketplace_core.storage.limits import downloads_left


def link_lifetime_text(seconds: int) -> str:
    """``"5 minutes"``, ``"2 hours"``, ``"90 seconds"``: how long a link works."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    if seconds >= 60:
        return f"{seconds // 60} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


class CustomerProductDownloadsView(CustomerPanelMixin, View):
    """The versions of a product the user owns, with a download button for each."""

    template_name = "marketplace_core/panels/product_downloads.html"
    panel_nav_key = "my-products"
    http_method_names = ["get"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        purchase = (PurchasedProduct.objects.active()
                    .select_related("product", *person_related("product__seller"))
                    .filter(buyer_id=request.user.pk, product_id=pk).first())
        if purchase is None or not purchase.product.file:
            raise Http404("No such product among yours.")
        product = purchase.product
        versions = versions_of(product)
        latest = versions[0] if versions else None
        context = self.get_context_data(
            purchase=purchase, product=product, versions=versions, latest=latest,
            downloads_left=downloads_left(purchase),
            link_lifetime=link_lifetime_text(download_link_ttl(product)),
        )
        return render(request, self.template_name, context)


class SellerVersionDeleteView(SellerPanelMixin, View):
    """Confirm (GET) and delete (POST) one file version of the seller's product.

    Another seller's product or version is 404; the only version of a product
    is refused with the reason (409 on POST).
    """

    template_name = "marketplace_core/seller/version_confirm_delete.html"
    panel_nav_key = "seller-products"

    def _version(self, product_pk: int, pk: int) -> ProductFileVersion:
        version = (ProductFileVersion.objects.select_related("product")
                   .filter(pk=pk, product_id=product_pk,
                           product__seller_id=self.request.user.pk).first())
        if version is None:
            raise Http404("No such version among your products.")
        return version

    def _render(self, version: ProductFileVersion, refusal: str | None = None,
                status: int = 200) -> HttpResponse:
        only = refusal is None and not version.product.file_versions.exclude(
            pk=version.pk).exists()
        context: dict[str, Any] = self.get_context_data(
            version=version, product=version.product,
            refusal=refusal or ("This is the product's only file: upload a new version "
                                "before deleting this one." if only else None))
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, product_pk: int, pk: int) -> HttpResponse:
        return self._render(self._version(product_pk, pk))

    def post(self, request: HttpRequest, product_pk: int, pk: int) -> HttpResponse:
        version = self._version(product_pk, pk)
        try:
            delete_version(version, seller_id=request.user.pk)  # type: ignore[arg-type]
        except Rejected as exc:
            return self._render(version, exc.message, status=409)
        messages.success(request, f"Version {version.label} is deleted.")
        return HttpResponseRedirect(
            reverse("marketplace:seller_product_update", args=[version.product_id]))
