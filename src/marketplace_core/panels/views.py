"""The customer's My Products and the seller's dashboard (foundation versions)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.views.generic import ListView, TemplateView

from marketplace_core.accounts.mixins import SellerRequiredMixin
from marketplace_core.catalog.models import Product
from marketplace_core.ownership.models import PurchasedProduct


class GenericMyProductListView(LoginRequiredMixin, ListView):
    """Products the current user owns, each with its Download button."""

    template_name = "marketplace_core/panels/my_products.html"
    context_object_name = "purchases"
    paginate_by = 20

    def get_queryset(self) -> QuerySet[PurchasedProduct]:
        return (
            PurchasedProduct.objects.active()
            .filter(buyer_id=self.request.user.pk)
            .select_related("product", "product__seller")
        )


class CustomerMyProductListView(GenericMyProductListView):
    pass


class SellerDashboardView(SellerRequiredMixin, TemplateView):
    template_name = "marketplace_core/panels/seller_dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["products"] = Product.objects.filter(seller_id=self.request.user.pk)[:50]
        return context
