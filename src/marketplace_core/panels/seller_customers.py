"""The seller's customers page (``/seller/customers/``).

Everyone who bought one of the seller's products (guests too, with a badge):
first and last purchase, number of purchases, and per currency the net amount
with what was refunded under it (see :mod:`marketplace_core.analytics.customers`
for what counts). ``q`` searches the address and the shop name; pages of
:data:`SellerCustomerListView.paginate_by`. Another seller's customers never
appear: every row is grouped from orders of this seller's products.

Five queries per page whatever the number of customers: the session, the user
with their seller row, the paginator's count, the page's customers (grouped in
the database) and their totals per currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.views.generic import ListView

from marketplace_core.analytics.customers import CurrencyTotal, currency_totals, customers
from marketplace_core.panels.mixins import SellerPanelMixin
from marketplace_core.people.names import display_name
from marketplace_core.people.records import account
from marketplace_core.people.users import email_of


@dataclass(frozen=True)
class CustomerRow:
    """One line of the page."""

    name: str
    email: str
    guest: bool
    first_purchase: dt.datetime
    last_purchase: dt.datetime
    purchases: int
    totals: list[CurrencyTotal]


def customer_rows(seller: Any, users: list[Any]) -> list[CustomerRow]:
    """The rows for ``users`` from :func:`~marketplace_core.analytics.customers.customers`
    (one query for their totals; names come from the rows selected with them)."""
    totals = currency_totals(seller, [user.pk for user in users])
    rows = []
    for user in users:
        row = account(user)
        rows.append(CustomerRow(
            name=display_name(user), email=email_of(user), guest=bool(row and row.guest),
            first_purchase=user.first_purchase, last_purchase=user.last_purchase,
            purchases=user.purchase_count, totals=totals.get(user.pk, []),
        ))
    return rows


class SellerCustomerListView(SellerPanelMixin, ListView):
    """Every buyer of the seller's products, latest purchase first; ``q`` searches."""

    template_name = "marketplace_core/seller/customer_list.html"
    context_object_name = "customers"
    paginate_by = 25
    panel_nav_key = "seller-customers"

    def search(self) -> str:
        return self.request.GET.get("q", "").strip()

    def get_queryset(self) -> QuerySet[Any]:
        return customers(self.request.user, search=self.search())  # type: ignore[arg-type]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["q"] = self.search()
        context["rows"] = customer_rows(self.request.user, list(context["object_list"]))
        return context
