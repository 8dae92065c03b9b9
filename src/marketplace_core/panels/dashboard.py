"""The seller dashboard page (seed §5 SellerDashboardView).

The numbers come from :mod:`marketplace_core.analytics.sales`; the charts are
drawn in the browser from the JSON of :mod:`.api` (SellerDashboardAPI) with
the Chart.js copy in core's static files.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.views.generic import TemplateView

from marketplace_core.analytics.sales import seller_summary
from marketplace_core.catalog.models import Product
from marketplace_core.money import format_money
from marketplace_core.panels.mixins import SellerPanelMixin

#: How many of the seller's newest products the dashboard links to.
RECENT_PRODUCTS = 5


class SellerDashboardView(SellerPanelMixin, TemplateView):
    """Total customers, revenue this month and per month (per currency), latest buyers."""

    template_name = "marketplace_core/seller/dashboard.html"
    panel_nav_key = "seller-dashboard"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        summary = seller_summary(self.request.user)  # type: ignore[arg-type]
        currencies = summary.currencies
        context.update(
            summary=summary,
            currencies=currencies,
            this_month=[
                format_money(summary.this_month.amount(code), code) for code in currencies
            ],
            month_rows=[
                (month.month, [format_money(month.amount(code), code) for code in currencies],
                 month.sales)
                for month in reversed(summary.months)
            ],
            recent_products=Product.objects.filter(seller_id=self.request.user.pk)
            .order_by("-created_at", "-id")[:RECENT_PRODUCTS],
            dashboard_api_url=reverse("marketplace-api:seller_dashboard"),
        )
        return context
