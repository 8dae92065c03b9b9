"""Views both roles use, for what the current user bought (seed §3).

They require a login and show only the current user's rows; the role wrappers
in :mod:`.customer` and :mod:`.seller_purchases` add the panel layout and, for
sellers, the role check. Both pages run the same number of queries for 1 and
for 20 rows.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.views.generic import ListView

from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.panels.billing import billing_rows
from marketplace_core.panels.purchases import owned_products
from marketplace_core.people.records import person_related


class GenericOrderHistoryView(LoginRequiredMixin, ListView):
    """The current user's orders as a billing list, newest first, paginated.

    Each row, in the buyer's language: date, product, amount with its currency,
    status with any refunds under it, "Resend receipt" for a paid order and,
    when the provider offers one, an invoice link. The payment service's own
    ids are not shown (the order's reference is, for support).
    """

    template_name = "marketplace_core/panels/order_history.html"
    context_object_name = "orders"
    paginate_by = 20
    panel_nav_key = "order-history"

    def get_queryset(self) -> QuerySet[Order]:
        return (
            Order.objects.filter(buyer_id=self.request.user.pk)
            .select_related("product", "discount_code")
            .prefetch_related("payments", "refunds")
            .order_by("-created_at", "-id")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["billing_rows"] = billing_rows(context["object_list"])
        return context


class GenericMyProductListView(LoginRequiredMixin, ListView):
    """Products the current user owns: Download, "Updated" badge, plugin actions."""

    template_name = "marketplace_core/panels/my_products.html"
    context_object_name = "purchases"
    paginate_by = 20
    panel_nav_key = "my-products"

    def get_queryset(self) -> QuerySet[PurchasedProduct]:
        return (
            PurchasedProduct.objects.active()
            .filter(buyer_id=self.request.user.pk)
            .select_related("product", *person_related("product__seller"))
            .order_by("-granted_at", "-id")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["owned_products"] = owned_products(self.request, context["object_list"])
        return context
