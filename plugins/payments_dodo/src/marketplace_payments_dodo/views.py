"""The plugin's views: Dodo's webhook endpoint and the buyer's invoice download,
both in the plugin's URL namespace (``payments_dodo``)."""

from __future__ import annotations

import io
import logging
import uuid

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views import View

from marketplace_core.ownership.models import Order
from marketplace_core.payments.views import PaymentWebhookView
from marketplace_payments_dodo import client
from marketplace_payments_dodo.client import DodoError, DodoRejected
from marketplace_payments_dodo.invoices import invoice_payment_id
from marketplace_payments_dodo.provider import DodoProvider

logger = logging.getLogger("payments_dodo")

UNAVAILABLE_MESSAGE = ("Dodo Payments cannot send this invoice right now. "
                       "Please try again in a minute.")
#: Dodo's answers that mean "no invoice for this payment" (the buyer gets 404).
NO_INVOICE_STATUSES = frozenset({404, 410, 422})


class DodoWebhookView(PaymentWebhookView):
    """``POST /payments_dodo/webhook/`` (``payments_dodo:webhook``).

    The generic endpoint ``/payments/webhooks/dodo/`` bound to this provider:
    the same verification, de-duplication, answers, CSRF exemption and
    maintenance-mode exemption. Give Dodo either URL; both apply a delivery
    once, whichever receives it.
    """

    def post(self, request: HttpRequest, provider: str = DodoProvider.identifier) -> JsonResponse:
        return super().post(request, provider=DodoProvider.identifier)


class InvoiceDownloadView(LoginRequiredMixin, View):
    """``GET /payments_dodo/invoices/<order reference>/`` (``payments_dodo:invoice``).

    The invoice of a paid Dodo order, fetched from Dodo
    (``GET /invoices/payments/{payment_id}`` through :mod:`.client`) and sent
    as a PDF attachment. Contract:

    - anonymous visitors are sent to log in;
    - the order is looked up through its buyer: anyone but the logged-in buyer
      gets 404, as does an order with no invoice (not paid, not Dodo's, or
      Dodo has none for it), never a 403 that would confirm the order exists;
    - Dodo unreachable, refusing the site's credentials, or answering something
      that is not a PDF: 503 with a short message and ``Retry-After`` (logged);
    - the PDF is sent with ``Cache-Control: private, no-store``.
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, reference: uuid.UUID) -> HttpResponseBase:
        order = get_object_or_404(
            Order.objects.prefetch_related("payments"),
            reference=reference, buyer_id=request.user.pk,
        )
        payment_id = invoice_payment_id(order)
        if payment_id is None:
            raise Http404("This order has no invoice.")
        try:
            pdf = client.payment_invoice(payment_id)
        except DodoRejected as exc:
            if exc.status in NO_INVOICE_STATUSES:
                logger.warning("Dodo has no invoice for payment %s of %s: %s", payment_id,
                               order, exc)
                raise Http404("Dodo Payments has no invoice for this order.") from exc
            # 401, 403...: the site's credentials, not the buyer's request, are wrong.
            logger.error("Dodo refused the invoice of payment %s of %s: %s", payment_id,
                         order, exc)
            return _unavailable()
        except DodoError as exc:
            logger.warning("Invoice of payment %s of %s not fetched: %s", payment_id, order, exc)
            return _unavailable()
        download = FileResponse(io.BytesIO(pdf), as_attachment=True,
                                filename=f"invoice-{order.reference}.pdf",
                                content_type="application/pdf")
        download["Cache-Control"] = "private, no-store"
        return download


def _unavailable() -> HttpResponse:
    response = HttpResponse(UNAVAILABLE_MESSAGE, status=503,
                            content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "60"
    return response
