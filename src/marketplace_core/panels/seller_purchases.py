"""What a seller bought as a customer, inside the seller panel (seed §5)."""

from __future__ import annotations

from marketplace_core.panels.generic import GenericMyProductListView, GenericOrderHistoryView
from marketplace_core.panels.mixins import SellerPanelMixin


class SellerOrderHistoryView(SellerPanelMixin, GenericOrderHistoryView):
    """The seller's own orders (as a buyer)."""

    panel_nav_key = "seller-order-history"


class SellerMyProductListView(SellerPanelMixin, GenericMyProductListView):
    """The products the seller bought from others (or themselves)."""

    panel_nav_key = "seller-my-products"
