"""The seller's products: list, create, update, unpublish, delete (seed §5).

Every product is looked up among the seller's own, so another seller's id is
a 404. Saving, unpublishing and deleting go through
:mod:`marketplace_core.catalog.services`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import CreateView, ListView, UpdateView
from django.views.generic.edit import ModelFormMixin

from marketplace_core.catalog import services
from marketplace_core.catalog.file_versions import versions_of
from marketplace_core.catalog.forms import GalleryImageForm, ProductForm
from marketplace_core.catalog.models import Product
from marketplace_core.conf import conf
from marketplace_core.exceptions import Rejected
from marketplace_core.panels.badges import is_recently_updated, seller_product_badges
from marketplace_core.panels.mixins import SellerOwnedMixin, SellerPanelMixin
from marketplace_core.plugins.manager import call_each
from marketplace_core.plugins.types import ProductSection

logger = logging.getLogger("marketplace_core.catalog")

#: Which form field a service refusal belongs to (others are shown above the form).
_ERROR_FIELDS = {
    "slug_taken": "slug",
    "file_required": "file",
    "foreign_category": "categories",
    "storage_unavailable": "file",
}
#: Refusals that are the site's fault, not the seller's: the form comes back with 503.
_UNAVAILABLE = {"storage_unavailable"}

UNREADABLE_UPLOAD_MESSAGE = (
    "The upload could not be read, most likely because the file's name is too long. "
    "Nothing was saved: rename the file to a shorter name and choose it again."
)


def _products_url() -> str:
    return reverse("marketplace:seller_products")


class SellerProductListView(SellerPanelMixin, ListView):
    """The seller's own products, newest first; ``q`` searches title, description
    and address. Each row shows status, price, buyers and an "Updated" badge."""

    template_name = "marketplace_core/seller/product_list.html"
    context_object_name = "products"
    paginate_by = 20
    panel_nav_key = "seller-products"

    def get_queryset(self) -> QuerySet[Product]:
        queryset = (
            Product.objects.filter(seller_id=self.request.user.pk)
            .annotate(buyers=Count("purchases", filter=Q(purchases__revoked_at__isnull=True)))
            .prefetch_related("categories")
            .order_by("-created_at", "-id")
        )
        query = self.request.GET.get("q", "").strip()
        if query:
            queryset = queryset.filter(
                Q(title__icontains=query) | Q(description__icontains=query)
                | Q(slug__icontains=query)
            )
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context["q"] = self.request.GET.get("q", "").strip()
        products = list(context["object_list"])
        badges = seller_product_badges(self.request, products)
        context["rows"] = [
            # A never-published draft has had no buyer-visible update yet.
            (product, product.published_at is not None
             and is_recently_updated(product.file_updated_at,
                                     since=product.published_at, now=now),
             badges[product.pk])
            for product in products
        ]
        return context


def _publishing(request: HttpRequest) -> bool:
    """Which button was pressed: "Publish" (else "Save as draft")."""
    return request.method == "POST" and request.POST.get("action") == "publish"


class _ProductFormMixin(ModelFormMixin):
    """The product form of both the create and the edit page, saved through the
    catalog service as a draft or published (the button pressed); a refusal
    becomes a form error."""

    request: HttpRequest
    template_name: str | None = "marketplace_core/seller/product_form.html"
    form_class = ProductForm
    panel_nav_key = "seller-products"

    #: Set when the POST body could not be parsed (see :meth:`dispatch`).
    unreadable_upload = False

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        """The view, exempt from ``CsrfViewMiddleware``: :meth:`dispatch` reads
        the body first and then makes the middleware's own check (``csrf_protect``)."""
        return csrf_exempt(super().as_view(**initkwargs))  # type: ignore[misc]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Read the upload, then check CSRF and handle the request.

        Django refuses a multipart body whose part headers pass 1 KiB
        (``MAX_TOTAL_HEADER_SIZE``): a file name of about 900 bytes does it, and
        the CSRF middleware, the first to read the body, would answer a bare
        400. Read here instead, that becomes the form again with an error on
        the file field (400, nothing saved); no CSRF check is needed to show a
        form, and everything else goes through ``csrf_protect`` as before.
        """
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  (parses the body, files included)
            except MultiPartParserError as exc:
                logger.info("Unreadable product upload from seller %s: %s", request.user.pk, exc)
                self.unreadable_upload = True
                response = self.get(request, *args, **kwargs)  # type: ignore[attr-defined]
                response.status_code = 400
                return response
        return csrf_protect(super().dispatch)(request, *args, **kwargs)  # type: ignore[misc]

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = {**super().get_form_kwargs(), "seller": self.request.user,
                  "publish": _publishing(self.request)}
        if self.unreadable_upload:
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        return kwargs

    def get_form(self, form_class: type[ModelForm[Any]] | None = None) -> ModelForm[Any]:
        form = super().get_form(form_class)
        if self.unreadable_upload:
            form.cleaned_data = {}  # add_error expects it; an unbound form has none
            form.add_error("file", ValidationError(UNREADABLE_UPLOAD_MESSAGE,
                                                   code="upload_unreadable"))
        return form

    def form_valid(self, form: ModelForm[Any]) -> HttpResponse:
        assert isinstance(form, ProductForm)
        publish = _publishing(self.request)
        if not publish and self._unconfirmed_unpublish():
            # "Save as draft" takes a published product out of the shop: ask first,
            # with the seller's input kept in the form (a chosen file must be chosen again).
            stored_title = Product.objects.values_list("title", flat=True).get(pk=form.instance.pk)
            return self.render_to_response(self.get_context_data(  # type: ignore[attr-defined]
                form=form, confirm_unpublish=stored_title,
                file_dropped=bool(form.cleaned_data.get("file")
                                  or form.cleaned_data.get("cover_image"))))
        try:
            product = services.save_product(
                form.instance,
                seller=self.request.user,  # type: ignore[arg-type]
                publish=publish,
                categories=form.cleaned_data.get("categories") or [],
                upload=form.cleaned_data.get("file"),
                version=form.version_details(),
                notify_buyers=bool(form.cleaned_data.get("notify_buyers")),
                cover=form.cleaned_data.get("cover_image"),
                remove_cover=bool(form.cleaned_data.get("remove_cover")),
            )
        except Rejected as exc:
            form.add_error(_ERROR_FIELDS.get(exc.code), exc.message)
            response = self.form_invalid(form)
            if exc.code in _UNAVAILABLE:
                response.status_code = 503
            return response
        state = "published" if publish else "saved as a draft"
        messages.success(self.request, f"“{product.title}” is {state}.")
        return HttpResponseRedirect(_products_url())


    def _unconfirmed_unpublish(self) -> bool:
        """Whether this is "Save as draft" of a published product, not yet confirmed
        (the confirmation posts ``confirm_unpublish``)."""
        product = getattr(self, "object", None)
        return (product is not None and product.pk is not None
                and product.status == Product.Status.PUBLISHED
                and not self.request.POST.get("confirm_unpublish"))


class SellerProductCreateView(SellerPanelMixin, _ProductFormMixin, CreateView):
    """A new product, saved as a draft or published."""

    extra_context = {"creating": True}


def seller_product_sections(request: HttpRequest, product: Product) -> list[ProductSection]:
    """Plugins' ``seller_product_sections`` for ``product``, sorted; a failing
    plugin is logged and left out."""
    answers = call_each("seller_product_sections", {"request": request, "product": product},
                        logger=logger, failing="to give product sections")
    found = [section for sections in answers.result for section in sections or []]
    return sorted(found, key=lambda section: section.order)


class SellerProductUpdateView(SellerOwnedMixin, _ProductFormMixin, UpdateView):
    """Edit one of the seller's products; save as draft or (re)publish. Plugins'
    sections (their per-product settings) follow the form."""

    model = Product
    extra_context = {"creating": False}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["badges"] = seller_product_badges(self.request, [self.object])[self.object.pk]
        context["product_sections"] = seller_product_sections(self.request, self.object)
        context["versions"] = versions_of(self.object)
        context.setdefault("gallery_form", GalleryImageForm())
        context["gallery_images"] = list(self.object.images.all())
        context["gallery_max"] = conf.GALLERY_MAX_IMAGES
        return context


class SellerProductDeleteView(SellerOwnedMixin, View):
    """Delete a product nobody bought; a sold one is refused with an offer to unpublish.

    GET asks for confirmation, or explains up front why core or a plugin
    (``validate_product_delete``) refuses. POST deletes through the catalog
    service, which asks both again under a lock; a refusal re-renders the page
    with the reason (409).
    """

    model = Product
    template_name = "marketplace_core/seller/product_confirm_delete.html"
    panel_nav_key = "seller-products"

    def _render(self, product: Product, refusal: Rejected | None, status: int = 200
                ) -> HttpResponse:
        context = self.get_context_data(product=product, refusal=refusal)
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(self.get_queryset(), pk=pk)
        return self._render(product, services.deletion_refusal(
            product, actor=request.user))  # type: ignore[arg-type]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            services.delete_product(product, actor=request.user)  # type: ignore[arg-type]
        except Rejected as exc:
            return self._render(product, exc, status=409)
        messages.success(request, f"“{product.title}” is deleted.")
        return HttpResponseRedirect(_products_url())


class SellerProductUnpublishView(SellerOwnedMixin, View):
    """POST: make the product a draft (the alternative offered to deleting it)."""

    model = Product
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(self.get_queryset(), pk=pk)
        services.unpublish_product(product, seller=request.user)  # type: ignore[arg-type]
        messages.success(
            request,
            f"“{product.title}” is unpublished: it is no longer in the shop, and its buyers "
            "can still download it.",
        )
        return HttpResponseRedirect(_products_url())
