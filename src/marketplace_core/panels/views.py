"""Every panel view, importable from one place (seed §3-§5 names)."""

from __future__ import annotations

from marketplace_core.panels.customer import CustomerMyProductListView, CustomerOrderHistoryView
from marketplace_core.panels.dashboard import SellerDashboardView
from marketplace_core.panels.generic import GenericMyProductListView, GenericOrderHistoryView
from marketplace_core.panels.seller_api_keys import SellerApiKeyListView, SellerApiKeyRevokeView
from marketplace_core.panels.seller_categories import (
    SellerProductCategoryCreateView,
    SellerProductCategoryDeleteView,
    SellerProductCategoryListView,
    SellerProductCategoryUpdateView,
)
from marketplace_core.panels.seller_customers import SellerCustomerListView
from marketplace_core.panels.seller_discounts import (
    SellerDiscountCodeCreateView,
    SellerDiscountCodeDeleteView,
    SellerDiscountCodeListView,
    SellerDiscountCodeUpdateView,
)
from marketplace_core.panels.seller_exports import SellerExportView
from marketplace_core.panels.seller_products import (
    SellerProductCreateView,
    SellerProductDeleteView,
    SellerProductListView,
    SellerProductUnpublishView,
    SellerProductUpdateView,
)
from marketplace_core.panels.seller_purchases import (
    SellerMyProductListView,
    SellerOrderHistoryView,
)
from marketplace_core.panels.seller_sales import SellerSaleDetailView, SellerSalesListView

__all__ = [
    "CustomerMyProductListView",
    "CustomerOrderHistoryView",
    "GenericMyProductListView",
    "GenericOrderHistoryView",
    "SellerApiKeyListView",
    "SellerApiKeyRevokeView",
    "SellerCustomerListView",
    "SellerDashboardView",
    "SellerDiscountCodeCreateView",
    "SellerDiscountCodeDeleteView",
    "SellerDiscountCodeListView",
    "SellerDiscountCodeUpdateView",
    "SellerExportView",
    "SellerMyProductListView",
    "SellerOrderHistoryView",
    "SellerProductCategoryCreateView",
    "SellerProductCategoryDeleteView",
    "SellerProductCategoryListView",
    "SellerProductCategoryUpdateView",
    "SellerProductCreateView",
    "SellerProductDeleteView",
    "SellerProductListView",
    "SellerProductUnpublishView",
    "SellerProductUpdateView",
    "SellerSaleDetailView",
    "SellerSalesListView",
]
