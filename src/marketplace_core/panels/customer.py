"""The customer panel (seed §4): wrappers of the generic views."""

from __future__ import annotations

from marketplace_core.panels.generic import GenericMyProductListView, GenericOrderHistoryView
from marketplace_core.panels.mixins import CustomerPanelMixin


class CustomerOrderHistoryView(CustomerPanelMixin, GenericOrderHistoryView):
    """The buyer's order history in the customer panel."""


class CustomerMyProductListView(CustomerPanelMixin, GenericMyProductListView):
    """The buyer's purchased products in the customer panel."""
