"""The ``dodo`` payment provider: Dodo Payments hosted checkout and signed webhooks."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse

from marketplace_core.ownership import services
from marketplace_core.payments import signing
from marketplace_core.payments.providers import (
    CheckoutError,
    CheckoutSession,
    EventKind,
    ParsedDelivery,
    PaymentProvider,
    RefundRejected,
    RefundRequested,
    RefundUnavailable,
    WebhookDeferred,
    WebhookEvent,
    validate_event,
)
from marketplace_core.people.names import display_name
from marketplace_core.people.users import email_of
from marketplace_payments_dodo import client, discounts, invoices, sync, webhooks
from marketplace_payments_dodo.client import DodoError, DodoRejected, DodoUnavailable
from marketplace_payments_dodo.conf import conf

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import Order, Payment

logger = logging.getLogger("payments_dodo")

UNAVAILABLE_MESSAGE = (
    "Dodo Payments is not reachable right now. Your order is saved: please try again in a minute."
)
REFUSED_MESSAGE = (
    "Dodo Payments could not start a payment for this product. Please try again later; "
    "if it keeps happening, contact the seller."
)


class DodoProvider(PaymentProvider):
    """Payments through Dodo Payments' hosted checkout.

    Checkout creates a Dodo checkout session for the order's product (synced
    to Dodo first if needed) with the order reference in its metadata, and
    sends the buyer to Dodo's page; Dodo sends the buyer back to the payment
    success page and reports the outcome by webhook, verified with the
    Standard Webhooks secrets in ``WEBHOOK_SECRETS`` (several, for rotation).
    """

    identifier = "dodo"
    verbose_name = "Dodo Payments"
    settings_key = "payments_dodo"  # the options conf.DodoSettings reads
    supports_refunds = True
    # Dodo refunds part of a payment through an item of its cart (``items``).
    supports_partial_refunds = True
    # billing_fields: core's default (name, email, country). Dodo's hosted page
    # asks for the rest of the address itself; the country decides taxes and
    # payment methods, so it is asked for up front.

    def start_checkout(self, request: HttpRequest, order: Order) -> CheckoutSession:
        """A Dodo checkout session for one unit of ``order.product``.

        The product is synced to Dodo first when Dodo lacks it or has an old
        price, and so is the order's discount code (the session names Dodo's
        code for it), so Dodo charges exactly ``order.amount``. Any Dodo failure is a
        :class:`CheckoutError` with a message for the buyer; the order stays
        pending and a new attempt reuses it.
        """
        billing = order.billing or {}
        success = reverse("marketplace:payment_success") + "?" + urlencode(
            {"order": str(order.reference)})
        try:
            product_id = sync.ensure_synced(order.product)
            discount_code = (discounts.ensure_synced(order.discount_code)
                             if order.discount_code is not None else "")
            session = client.create_checkout_session(client.CheckoutRequest(
                product_id=product_id,
                customer_email=str(billing.get("email") or email_of(order.buyer)),
                customer_name=str(billing.get("name") or display_name(order.buyer)),
                billing=client.BillingAddress(
                    country=str(billing.get("country", "")).upper(),
                    state=str(billing.get("state", "")),
                    city=str(billing.get("city", "")),
                    street=str(billing.get("street", "")),
                    zipcode=str(billing.get("zipcode", "")),
                ),
                metadata={client.ORDER_REFERENCE_KEY: str(order.reference)},
                return_url=request.build_absolute_uri(success),
                cancel_url=request.build_absolute_uri(order.product.get_absolute_url()),
                discount_code=discount_code,
            ))
        except DodoUnavailable as exc:
            logger.warning("Dodo checkout for %s failed: %s", order, exc)
            raise CheckoutError(UNAVAILABLE_MESSAGE) from exc
        except DodoError as exc:
            logger.error("Dodo refused the checkout for %s: %s", order, exc)
            raise CheckoutError(REFUSED_MESSAGE) from exc
        return CheckoutSession(redirect_url=session.checkout_url,
                               provider_checkout_id=session.session_id)

    def parse_webhook(self, request: HttpRequest) -> ParsedDelivery:
        """Verify the Standard Webhooks signature over the raw body, then read the event.

        Refunds and disputes name only Dodo's payment: their order is the one
        core recorded for that payment or, when the payment's own webhook has
        not arrived yet, the order in the payment's metadata at Dodo
        (``GET /payments/{id}``). If Dodo cannot be asked, the delivery is
        deferred (503) and Dodo retries it. A delivery with values core
        cannot store is refused (400) before any lookup.
        """
        headers = signing.request_headers(request.META)
        payload = signing.verify(request.body, headers, conf.WEBHOOK_SECRETS)
        event = webhooks.parse_event(payload)
        validate_event(event)  # before its ids are looked up here or at Dodo
        if event.kind == EventKind.IGNORED:
            logger.info("Dodo event %s acknowledged and ignored %s", event.event_type,
                        f"({event.reason})" if event.reason else "")
        elif event.order_reference is None:
            event = replace(event, order_reference=self._order_of_payment(event))
        return ParsedDelivery(delivery_id=headers[signing.HEADER_ID], events=[event])

    def _order_of_payment(self, event: WebhookEvent) -> str | None:
        known = services.order_reference_for_payment(self.identifier, event.provider_payment_id)
        if known:
            return known
        try:
            payment = client.retrieve_payment(event.provider_payment_id)
        except DodoRejected as exc:
            logger.warning("%s for unknown Dodo payment %s: %s", event.event_type,
                           event.provider_payment_id, exc)
            return None
        except DodoError as exc:
            raise WebhookDeferred(f"cannot look up payment {event.provider_payment_id}: {exc}"
                                  ) from exc
        reference = payment.metadata.get(client.ORDER_REFERENCE_KEY)
        return reference if isinstance(reference, str) and reference else None

    def request_refund(
        self, *, order: Order, payment: Payment, amount: int, reason: str,
        idempotency_key: str,
    ) -> RefundRequested:
        """``POST /refunds`` for ``payment``; Dodo's ``refund.succeeded`` webhook makes it final.

        The whole payment is refunded without ``items``; less than the payment
        is refunded as an amount of its one item (the order's product at Dodo,
        tax included). ``idempotency_key`` goes into the refund's metadata.
        Dodo takes no idempotency key, and core calls again after a
        :class:`RefundUnavailable`, when the lost answer may have been a refund
        made: so the payment's refunds are searched for the key first
        (:func:`~.client.find_refund`) and a refund found is answered instead of
        a second one. Dodo's refusal (4xx) is a :class:`RefundRejected` with
        Dodo's message; no answer (network, 408/409/429, 5xx) a
        :class:`RefundUnavailable`.
        """
        item = None
        if amount < payment.amount:
            dodo_product_id = sync.dodo_product_id(order.product_id)
            if not dodo_product_id:
                raise RefundRejected("Dodo Payments does not know this product, so a part of "
                                     "its payment cannot be refunded. Refund all of it instead.")
            item = (dodo_product_id, amount)
        try:
            created = client.find_refund(payment.provider_payment_id, idempotency_key, amount)
            if created is None:
                created = client.create_refund(client.RefundSpec(
                    payment_id=payment.provider_payment_id, reason=reason[:3000],
                    metadata={client.ORDER_REFERENCE_KEY: str(order.reference),
                              client.REFUND_REQUEST_KEY: idempotency_key},
                    item=item,
                ))
        except DodoUnavailable as exc:
            logger.warning("Dodo refund of %s not sent yet: %s", order, exc)
            raise RefundUnavailable(str(exc)) from exc
        except DodoError as exc:
            logger.warning("Dodo refused the refund of %s: %s", order, exc)
            raise RefundRejected(str(exc)) from exc
        if created.status == "failed":
            raise RefundRejected("Dodo Payments could not refund this payment "
                                 f"(refund {created.refund_id} failed).")
        return RefundRequested(provider_refund_id=created.refund_id)

    def supported_countries(self) -> list[str]:
        """The countries Dodo takes payments from (``GET /checkout/supported_countries``);
        core caches the answer. Raises :class:`~.client.DodoError` when Dodo cannot answer."""
        return client.supported_countries()

    def receipt_url(self, order: Order) -> str | None:
        """The plugin's invoice download (``payments_dodo:invoice``) for a paid Dodo order.

        ``None`` unless ``order`` is paid with a successful Dodo payment. Reads
        only ``order``'s fields and ``order.payments.all()`` (prefetched by the
        order history): no query and no call to Dodo per order. The link leads
        to :class:`~marketplace_payments_dodo.views.InvoiceDownloadView`, which
        fetches the PDF from Dodo for the order's buyer only.
        """
        return invoices.invoice_url(order)

    def sync_product(self, product: Product) -> str | None:
        """Create or update ``product`` at Dodo now; returns Dodo's product id.

        Core never calls it: the plugin's ``payments_dodo.sync_product`` Celery
        task (queued by its ``product_saved`` hook) does. Raises
        :class:`~marketplace_payments_dodo.client.DodoError` on failure.
        """
        return sync.sync_product(product).dodo_product_id
