"""Storefront pages: home, product list and product detail."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.views.generic import DetailView, ListView, TemplateView

from marketplace_core.catalog.models import Product
from marketplace_core.ownership.models import PurchasedProduct


class HomePageView(TemplateView):
    template_name = "marketplace_core/catalog/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        products = Product.objects.published().select_related("seller")
        context["featured_products"] = list(products.filter(is_featured=True)[:6])
        context["latest_products"] = list(products[:8])
        return context


class ProductListView(ListView):
    """Published, active products; ``q`` searches title and description."""

    template_name = "marketplace_core/catalog/product_list.html"
    context_object_name = "products"
    paginate_by = 24

    def get_queryset(self) -> QuerySet[Product]:
        queryset = Product.objects.published().select_related("seller")
        query = self.request.GET.get("q", "").strip()
        if query:
            queryset = queryset.filter(Q(title__icontains=query) | Q(description__icontains=query))
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["q"] = self.request.GET.get("q", "").strip()
        return context


class ProductDetailView(DetailView):
    """A product page that knows whether to offer Buy, Download or Log in.

    Drafts and inactive products are 404 for everyone but their seller, who
    sees them with a preview banner.
    """

    template_name = "marketplace_core/catalog/product_detail.html"
    context_object_name = "product"

    def get_queryset(self) -> QuerySet[Product]:
        return Product.objects.select_related("seller").prefetch_related("categories")

    def get_object(self, queryset: QuerySet[Product] | None = None) -> Product:
        product: Product = super().get_object(queryset)
        if not product.is_buyable and product.seller_id != self.request.user.pk:
            raise Http404("No product found.")
        return product

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        product: Product = self.object
        purchase = None
        if user.is_authenticated:
            purchase = PurchasedProduct.objects.active().filter(buyer=user, product=product).first()
        context.update(
            is_preview=not product.is_buyable,
            purchase=purchase,
            owns_product=purchase is not None,
        )
        return context
