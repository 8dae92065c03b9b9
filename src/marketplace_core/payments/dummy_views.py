"""The dummy provider's "hosted checkout" page (development and tests only)."""

from __future__ import annotations

import uuid

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from marketplace_core.conf import conf
from marketplace_core.guests.checkout import OrderStartedHereMixin, started_here
from marketplace_core.ownership.models import Order
from marketplace_core.payments.dummy import build_delivery, read_checkout_token
from marketplace_core.payments.tasks import deliver_dummy_webhook

#: Orders the hosted page still takes a payment for (a failed one may be retried).
_PAYABLE = (Order.Status.PENDING, Order.Status.FAILED)


class DummyCheckoutView(OrderStartedHereMixin, View):
    """Shows the order with Pay and Fail buttons. Pressing one queues a signed
    webhook to the site (as a real provider would) and returns the buyer to
    the payment success page; only that webhook changes the order."""

    template_name = "marketplace_core/payments/dummy_checkout.html"

    def _order(self, request: HttpRequest, token: str) -> tuple[Order, dict[str, str]]:
        if conf.PAYMENT_PROVIDER != "dummy":
            raise Http404("The dummy provider is not active.")
        try:
            payload = read_checkout_token(token)
            orders = Order.objects.select_related("product").filter(reference=payload["order"])
            if request.user.is_authenticated:
                orders = orders.filter(buyer_id=request.user.pk)
            elif not started_here(request, payload["order"]):  # a guest's, this browser's only
                raise Order.DoesNotExist
            order = orders.get()
        except (signing.BadSignature, Order.DoesNotExist, ValueError, ValidationError) as exc:
            raise Http404("Unknown or expired checkout.") from exc
        return order, payload

    @staticmethod
    def _success_url(order: Order) -> str:
        return reverse("marketplace:payment_success") + f"?order={order.reference}"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        order, _ = self._order(request, token)
        if order.status not in _PAYABLE:
            return HttpResponseRedirect(self._success_url(order))
        return render(request, self.template_name, {"order": order})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        order, payload = self._order(request, token)
        if order.status not in _PAYABLE:
            # Paid or refunded already: a second charge would only need a refund.
            return HttpResponseRedirect(self._success_url(order))
        outcome = request.POST.get("outcome")
        if outcome not in ("pay", "fail"):
            return render(request, self.template_name,
                          {"order": order, "error": "Choose Pay or Fail."}, status=400)
        data = {
            "order_reference": str(order.reference),
            "payment_id": f"dummy_pay_{uuid.uuid4().hex}",
            "checkout_id": payload["session"],
            "amount": order.amount,
            "currency": order.currency,
        }
        if outcome == "fail":
            data["reason"] = "Card declined (dummy provider)"
        body, headers = build_delivery(
            "payment.succeeded" if outcome == "pay" else "payment.failed", data
        )
        url = request.build_absolute_uri(
            reverse("marketplace:payment_webhook", kwargs={"provider": "dummy"})
        )
        transaction.on_commit(
            lambda: deliver_dummy_webhook.delay(url, body.decode(), headers)
        )
        return HttpResponseRedirect(self._success_url(order))
