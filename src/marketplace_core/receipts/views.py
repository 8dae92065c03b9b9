"""Where receipt links lead: the purchase page, fresh links, and "Resend receipt".

- ``GET /receipts/<token>/``: a valid link sends its buyer, logged in, to the
  purchase page; anyone else is asked to log in (the page itself checks who
  owns the order). An expired link offers a fresh one; a broken one says so.
  A guest's link (``POST``) logs the guest in once; used, it offers a fresh one.
- ``POST /receipts/fresh/``: email a fresh link for an expired one's order.
  The answer is the same whatever the order's state, so a link cannot be used
  to learn about an order.
- ``GET /account/purchases/<reference>/``: one purchase, with its download.
- ``POST /account/orders/<reference>/receipt/``: "Resend receipt".

Every email asked for here is limited per client address
(``ADDRESS_RATE_LIMITS["receipt_emails"]``) and per order (:data:`PER_ORDER`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from marketplace_core.accounts.redirects import login_url
from marketplace_core.accounts.throttling import RateLimit, Usage, minutes, too_many_requests
from marketplace_core.guests.identities import is_guest
from marketplace_core.guests.links import log_in_by_state, state_matches
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.panels.billing import receipt_url
from marketplace_core.panels.mixins import CustomerPanelMixin
from marketplace_core.receipts.links import LinkCheck, LinkStatus, check_token, lifetime_text
from marketplace_core.receipts.services import queue_receipt
from marketplace_core.roles import is_seller

#: Receipt emails one order may be sent on request, whoever asks.
PER_ORDER = RateLimit("marketplace.receipts.order", 3, 3600)


def purchase_url(order: Order | UUID | str) -> str:
    reference = order.reference if isinstance(order, Order) else order
    return reverse("marketplace:purchase_detail", kwargs={"reference": reference})


def _limited(request: HttpRequest, reference: UUID) -> Usage | None:
    """Count one receipt email asked for; the usage that refuses it, else ``None``."""
    for usage in (RateLimit.per_address("receipt_emails").hit(request),
                  PER_ORDER.usage(str(reference), increment=True)):
        if usage.exceeded:
            return usage
    return None


class ReceiptLinkView(View):
    """A receipt link. A guest's order (its buyer has no password): the page
    offers one button whose POST logs the guest in, once, and opens the
    purchase; a used link offers a fresh one, as an expired one does."""

    template_name = "marketplace_core/receipts/link.html"
    http_method_names = ["get", "post"]

    def _order(self, request: HttpRequest, token: str
               ) -> tuple[LinkCheck, Order | None, HttpResponse | None]:
        check = check_token(token)
        order = (Order.objects.select_related("buyer").filter(reference=check.reference).first()
                 if check.reference else None)
        if order is None:
            return check, None, render(request, self.template_name, {"reason": "invalid"},
                                       status=404)
        if check.status is LinkStatus.EXPIRED:
            return check, order, self._offer_fresh(request, token, "expired")
        return check, order, None

    def _offer_fresh(self, request: HttpRequest, token: str, reason: str) -> HttpResponse:
        return render(request, self.template_name, {
            "reason": reason, "token": token, "lifetime": lifetime_text(),
        }, status=410)

    def _guest_login(self, request: HttpRequest, check: LinkCheck, order: Order) -> bool:
        """Whether this link is a guest's that still logs them in."""
        return (request.user.pk != order.buyer_id
                and state_matches(order.buyer, check.login))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        check, order, answer = self._order(request, token)
        if answer is not None or order is None:
            return answer or HttpResponse(status=404)
        if log_in_by_state(request, order.buyer_id, check.login) is None:
            return self._offer_fresh(request, token, "used")
        return HttpResponseRedirect(purchase_url(order))

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        check, order, answer = self._order(request, token)
        if answer is not None or order is None:
            return answer or HttpResponse(status=404)
        if self._guest_login(request, check, order):
            return render(request, self.template_name, {"reason": "guest", "order": order})
        if is_guest(order.buyer) and request.user.pk != order.buyer_id:
            return self._offer_fresh(request, token, "used")
        target = purchase_url(order)
        if not request.user.is_authenticated:
            return HttpResponseRedirect(login_url(target))
        if request.user.pk != order.buyer_id:
            return render(request, self.template_name,
                          {"reason": "other_account", "next": target}, status=403)
        return HttpResponseRedirect(target)


class FreshLinkView(View):
    template_name = "marketplace_core/receipts/link.html"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        check = check_token(str(request.POST.get("token", "")))
        if check.reference is None:
            return render(request, self.template_name, {"reason": "invalid"}, status=404)
        refused = _limited(request, check.reference)
        if refused is not None:
            response = render(request, self.template_name, {
                "reason": "too_many", "minutes": minutes(refused.retry_after)})
            return too_many_requests(response, refused.retry_after)
        order = Order.objects.filter(reference=check.reference, status=Order.Status.PAID).first()
        if order is not None:
            queue_receipt(order, again=True)
        return render(request, self.template_name, {"reason": "sent"})


class PurchaseDetailView(CustomerPanelMixin, TemplateView):
    """One of the current user's orders with its download; 404 for anyone else's."""

    template_name = "marketplace_core/receipts/purchase.html"
    panel_nav_key = "my_products"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = (Order.objects.select_related("product").prefetch_related("payments")
                 .filter(reference=kwargs["reference"], buyer_id=self.request.user.pk).first())
        if order is None:
            raise Http404("No such purchase.")
        purchase = PurchasedProduct.objects.filter(order=order).first()
        context.update(order=order, purchase=purchase, invoice_url=receipt_url(order),
                       active=purchase is not None and purchase.is_active)
        return context


class ResendReceiptView(LoginRequiredMixin, View):
    """POST: email the receipt of one of the current user's paid orders again."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, reference: UUID) -> HttpResponse:
        order = Order.objects.filter(reference=reference, buyer_id=request.user.pk,
                                     status=Order.Status.PAID).first()
        if order is None:
            raise Http404("No such order.")
        history = reverse("marketplace:seller_order_history" if is_seller(request.user)
                          else "marketplace:order_history")
        refused = _limited(request, order.reference)
        if refused is not None:
            response = render(request, "marketplace_core/receipts/link.html", {
                "reason": "too_many", "minutes": minutes(refused.retry_after), "back": history})
            return too_many_requests(response, refused.retry_after)
        queue_receipt(order, again=True)
        messages.success(request, _("The receipt is on its way to your email address."))
        return HttpResponseRedirect(history)
