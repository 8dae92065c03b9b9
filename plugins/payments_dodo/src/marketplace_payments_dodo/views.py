"""``DodoWebhookView``: Dodo's webhook endpoint in the plugin's URL namespace."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from marketplace_core.payments.views import PaymentWebhookView
from marketplace_payments_dodo.provider import DodoProvider


class DodoWebhookView(PaymentWebhookView):
    """``POST /payments_dodo/webhook/`` (``payments_dodo:webhook``).

    The generic endpoint ``/payments/webhooks/dodo/`` bound to this provider:
    the same verification, de-duplication, answers, CSRF exemption and
    maintenance-mode exemption. Give Dodo either URL; both apply a delivery
    once, whichever receives it.
    """

    def post(self, request: HttpRequest, provider: str = DodoProvider.identifier) -> JsonResponse:
        return super().post(request, provider=DodoProvider.identifier)
