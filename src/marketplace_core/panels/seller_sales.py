"""The seller's sales: orders of their products, one order's detail, and refunds.

``/seller/sales/`` lists the paid and refunded orders of the seller's products
(newest first, paginated; a fixed number of queries per page);
``/seller/sales/<reference>/`` shows one order of theirs (another seller's is a
404) with its payments, refunds, disputes, the buyer's access and the refund
form. A refund is only *requested* here
(:func:`marketplace_core.ownership.refund_requests.request_refund`); it
becomes final when the provider's webhook arrives.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from marketplace_core.exceptions import Rejected
from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_core.money import exponent, format_money, to_decimal
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.ownership.refund_requests import RefundOptions, refund_options, request_refund
from marketplace_core.panels.mixins import SellerPanelMixin
from marketplace_core.receipts.tasks import recipient
from marketplace_core.storage.logging import ip_hash

#: Orders the sales list shows: the ones money was taken for.
SOLD = (Order.Status.PAID, Order.Status.REFUNDED)
#: Which form field a refusal of the refund service belongs to (others go above the form).
_ERROR_FIELDS = {"invalid_amount": "amount", "too_much": "amount", "whole_only": "amount"}


def _sales(seller_id: Any) -> QuerySet[Order]:
    return Order.objects.filter(product__seller_id=seller_id)


class SellerSalesListView(SellerPanelMixin, ListView):
    """Paid and refunded orders of the seller's products, newest first: date,
    product, buyer's email, amount, status."""

    template_name = "marketplace_core/seller/sales_list.html"
    context_object_name = "orders"
    paginate_by = 20
    panel_nav_key = "seller-sales"

    def get_queryset(self) -> QuerySet[Order]:
        return (_sales(self.request.user.pk).filter(status__in=SOLD)
                .select_related("product", "buyer").order_by("-created_at", "-id"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = [(order, recipient(order)) for order in context["object_list"]]
        return context


class RefundForm(MarketplaceForm):
    """How much to refund (in the currency's main unit) and why."""

    amount = forms.DecimalField(label="Amount", min_value=Decimal(0), max_digits=14,
                                decimal_places=4)
    reason = forms.CharField(label="Reason (the buyer may see it)", max_length=255,
                             required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, options: RefundOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        places = exponent(options.currency)
        amount = self.fields["amount"]
        amount.initial = to_decimal(options.refundable, options.currency)
        amount.label = f"Amount ({options.currency})"
        amount.widget.attrs.update({"step": str(Decimal(1).scaleb(-places)), "inputmode":
                                    "decimal"})
        if not options.partial:
            amount.widget.attrs["readonly"] = True
            amount.help_text = "This payment provider refunds only what is left of an order."

    def minor_amount(self) -> int:
        """The amount in minor units (after ``is_valid``)."""
        return int(self.cleaned_data["amount"].scaleb(exponent(self.options.currency)))

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        places = exponent(self.options.currency)
        minor = amount.scaleb(places)
        if minor != minor.to_integral_value():
            raise forms.ValidationError(
                f"{self.options.currency} amounts have at most {places} decimal places.",
                code="precision")
        return amount


#: Downloads listed on a sale's page (the latest ones).
SALE_DOWNLOADS_SHOWN = 50


def _download_context(purchase: PurchasedProduct | None) -> dict[str, Any]:
    """The latest downloads of ``purchase`` with hashed addresses, in one query."""
    if purchase is None:
        return {"downloads": [], "downloads_more": False}
    rows = list(purchase.downloads.select_related("version")[:SALE_DOWNLOADS_SHOWN + 1])
    return {
        "downloads": [{"download": row, "ip_hash": ip_hash(row.ip_address)}
                      for row in rows[:SALE_DOWNLOADS_SHOWN]],
        "downloads_more": len(rows) > SALE_DOWNLOADS_SHOWN,
    }


class SellerSaleDetailView(SellerPanelMixin, View):
    """One order of the seller's products; POST requests a refund (then redirects back)."""

    template_name = "marketplace_core/seller/sale_detail.html"
    panel_nav_key = "seller-sales"

    def _order(self, reference: str) -> Order:
        order = (_sales(self.request.user.pk).filter(reference=reference)
                 .select_related("product", "buyer", "purchase")
                 .prefetch_related("payments", "refunds", "disputes", "refund_requests")
                 .first())
        if order is None:
            raise Http404("No such order among your sales.")
        return order

    def _render(self, request: HttpRequest, order: Order, form: RefundForm | None = None,
                status: int = 200) -> HttpResponse:
        options = refund_options(order)
        purchase = order.purchase if hasattr(order, "purchase") else None  # none: never granted
        context = self.get_context_data(
            order=order, buyer_email=recipient(order), options=options,
            form=form or RefundForm(options=options), purchase=purchase,
            payments=list(order.payments.all()), refunds=list(order.refunds.all()),
            disputes=list(order.disputes.all()),
            refund_requests=list(order.refund_requests.all()),
            **_download_context(purchase),
        )
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        return self._render(request, self._order(reference))

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        order = self._order(reference)
        form = RefundForm(request.POST, options=refund_options(order))
        if not form.is_valid():
            return self._render(request, order, form, status=400)
        amount = form.minor_amount()
        try:
            request_refund(seller=request.user,  # type: ignore[arg-type]
                           order_reference=order.reference,
                           amount=amount, reason=form.cleaned_data["reason"])
        except Rejected as exc:
            if exc.code == "not_found":
                raise Http404("No such order among your sales.") from exc
            form.add_error(_ERROR_FIELDS.get(exc.code), forms.ValidationError(
                exc.message, code=exc.code))
            return self._render(request, self._order(reference), form, status=400)
        messages.success(request, f"Refund of {format_money(amount, order.currency)} requested. "
                                  "It shows as refunded once the payment provider confirms it.")
        return HttpResponseRedirect(reverse("marketplace:seller_sale_detail",
                                            kwargs={"reference": order.reference}))
