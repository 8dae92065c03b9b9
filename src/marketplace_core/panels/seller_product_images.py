"""A product's gallery in the seller panel: add, remove and reorder its images.

Every product is looked up among the seller's own (another seller's: 404), and an
image among that product's; the changes go through :mod:`marketplace_core.catalog.images`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View

from marketplace_core.catalog import images
from marketplace_core.catalog.forms import GalleryImageForm
from marketplace_core.catalog.models import Product
from marketplace_core.exceptions import Rejected
from marketplace_core.panels.mixins import SellerOwnedMixin
from marketplace_core.panels.seller_products import SellerProductUpdateView


def _gallery_url(product: Product) -> str:
    return reverse("marketplace:seller_product_update", args=[product.pk]) + "#gallery"


class SellerGalleryAddView(SellerProductUpdateView):
    """POST: add one image to the gallery. A bad file or a full gallery shows the
    edit page again with the error beside the gallery's form (400); nothing is stored."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        product = self.object = self.get_object()
        form = GalleryImageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                images.add_gallery_image(product, seller=request.user,  # type: ignore[arg-type]
                                         image=form.cleaned_data["image"],
                                         alt_text=form.cleaned_data["alt_text"])
            except Rejected as exc:
                form.add_error("image", exc.message)
            else:
                messages.success(request, "The image is added to the gallery.")
                return HttpResponseRedirect(_gallery_url(product))
        context = self.get_context_data(form=self.get_form(), gallery_form=form)
        return self.render_to_response(context, status=400)

    def get_form_kwargs(self) -> dict[str, Any]:
        # The product's form as stored: this POST holds only the gallery's fields, and
        # a product form bound to it would show the product blank (and save it so).
        kwargs = super().get_form_kwargs()
        kwargs.pop("data", None)
        kwargs.pop("files", None)
        return kwargs


class _GalleryImageAction(SellerOwnedMixin, View):
    model = Product
    http_method_names = ["post"]

    def change(self, request: HttpRequest, product: Product, image_pk: int) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, image_pk: int) -> HttpResponse:
        product = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            self.change(request, product, image_pk)
        except Rejected as exc:
            if exc.code in ("not_found", "not_owner"):
                raise Http404(exc.message) from None
            raise
        return HttpResponseRedirect(_gallery_url(product))


class SellerGalleryRemoveView(_GalleryImageAction):
    """POST: remove one image of the gallery (its files go after commit)."""

    def change(self, request: HttpRequest, product: Product, image_pk: int) -> None:
        images.remove_gallery_image(product, seller=request.user,  # type: ignore[arg-type]
                                    image_pk=image_pk)
        messages.success(request, "The image is removed from the gallery.")


class SellerGalleryMoveView(_GalleryImageAction):
    """POST ``direction=earlier|later``: move one image a place in the gallery."""

    def change(self, request: HttpRequest, product: Product, image_pk: int) -> None:
        offset = -1 if request.POST.get("direction") == "earlier" else 1
        images.move_gallery_image(product, seller=request.user,  # type: ignore[arg-type]
                                  image_pk=image_pk, offset=offset)
