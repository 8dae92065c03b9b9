"""The payment provider contract.

A payment provider translates between a payment service and core. It starts a
hosted checkout for an :class:`~marketplace_core.ownership.models.Order`, and
turns the service's signed webhook deliveries into normalized
:class:`WebhookEvent` objects. Core applies those events through its own
services (:mod:`marketplace_core.ownership.services`), which own every state
change.

Rules for implementers:

- **You may not move money or ownership here.** Never write core tables; never
  mark an order paid because the buyer came back to the success page. Only a
  verified webhook delivery, applied by core, grants anything.
- :meth:`PaymentProvider.parse_webhook` must verify the signature over the raw
  request body *before* parsing it, reject timestamps outside the tolerance, and
  raise :class:`WebhookVerificationError` for anything it cannot trust.
- Report amounts in the currency's minor unit, exactly as the service charged
  them; core compares them with the order and refuses a mismatch.
- Deliveries may repeat and arrive out of order; give each a stable
  ``delivery_id`` (the service's message id, at most 255 characters) so core
  can de-duplicate them. Core applies events monotonically (see
  :mod:`marketplace_core.ownership.services` for the end states).
- Every payment event names the order (``order_reference``) and the service's
  payment id; every refund event its refund id. Core changes nothing for an
  event without them (``Outcome.INVALID``); better, reject such a delivery in
  :meth:`PaymentProvider.parse_webhook` so the service reports the failure.
- Keep network calls out of ``__init__``: providers are instantiated at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import Order


class EventKind(StrEnum):
    """What a provider event means for core."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    #: The payment is under way; never downgrades a paid order.
    PAYMENT_PROCESSING = "payment_processing"
    REFUND_SUCCEEDED = "refund_succeeded"
    DISPUTE = "dispute"
    #: Acknowledged and logged, nothing changes.
    IGNORED = "ignored"


@dataclass(frozen=True)
class WebhookEvent:
    """One normalized event from a provider delivery."""

    kind: EventKind
    #: The provider's own event type, such as ``"payment.succeeded"``.
    event_type: str
    #: ``Order.reference`` as the provider echoed it from checkout metadata.
    order_reference: str | None = None
    provider_payment_id: str = ""
    provider_refund_id: str = ""
    #: Minor units, as charged or refunded.
    amount: int | None = None
    currency: str = ""
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedDelivery:
    """A verified webhook delivery: its unique id and its events."""

    delivery_id: str
    events: list[WebhookEvent]


@dataclass(frozen=True)
class CheckoutSession:
    """Where to send the buyer to pay, and the provider's id for the session."""

    redirect_url: str
    provider_checkout_id: str


class WebhookVerificationError(Exception):
    """A delivery failed verification (signature, timestamp, headers, body)."""


class CheckoutError(Exception):
    """The provider could not start a checkout. The message is shown to the buyer."""


#: Billing fields a checkout form can ask for, in display order.
BILLING_FIELDS = ("name", "email", "country", "state", "city", "street", "zipcode")


class PaymentProvider:
    """Base class of payment providers; subclass it in a plugin.

    Class attributes:

    ``identifier``
        Unique, stable, lowercase; used in URLs (``/payments/webhooks/<identifier>/``),
        in ``MARKETPLACE["PAYMENT_PROVIDER"]`` and stored on every order.
    ``verbose_name``
        Shown to buyers.
    ``billing_fields``
        Which of :data:`BILLING_FIELDS` the checkout form must collect.
    """

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    billing_fields: ClassVar[tuple[str, ...]] = ("name", "email", "country")

    def start_checkout(self, request: HttpRequest, order: Order) -> CheckoutSession:
        """Create a hosted checkout for ``order`` and say where to send the buyer.

        Put ``str(order.reference)`` in the session's metadata so webhook events
        can name the order. Send the buyer back to
        ``reverse("marketplace:payment_success")`` with the order reference.
        Raise :class:`CheckoutError` with a buyer-facing message on failure;
        the order stays pending and can be retried.
        """
        raise NotImplementedError

    def parse_webhook(self, request: HttpRequest) -> ParsedDelivery:
        """Verify ``request`` (raw body first) and return its normalized events.

        Raise :class:`WebhookVerificationError` when the delivery cannot be
        trusted; core answers 400 and changes nothing.
        """
        raise NotImplementedError

    def sync_product(self, product: Product) -> str | None:
        """Optionally create or update ``product`` at the provider.

        Return the provider's product id, or ``None`` when the provider keeps
        no product catalog. Called from a background task; may raise to retry.
        """
        return None
