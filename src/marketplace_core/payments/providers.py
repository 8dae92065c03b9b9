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
  payment id; every refund event its refund id; every dispute event its
  dispute id. A successful payment carries its amount and currency.
- Core refuses (400, nothing recorded) a delivery with any event it cannot
  store as reported (:func:`validate_event`): an id over 255 characters, an
  amount that is not an integer from 0 to :data:`MAX_AMOUNT`, a currency that
  is not an ISO 4217 code, text with NUL or lone surrogates. Reject what your
  service's format forbids (a string where it sends a number) yourself, with
  :class:`InvalidWebhookEvent`, and call :func:`validate_event` before you
  use an event's ids to look anything up.
  A refund or dispute may name only the payment: core finds the order of a
  payment it has seen; for one it has not seen yet (events arrive out of
  order), look the order up at the service or raise :class:`WebhookDeferred`.
- Answer fast: :meth:`PaymentProvider.parse_webhook` runs while the service
  waits for the response. Do not call the service there except to resolve
  what the delivery cannot tell (the order of an out-of-order refund).
- Keep network calls out of ``__init__``: providers are instantiated at start-up,
  and one instance serves every request and thread; keep no per-request state.
- Read settings when they are needed (through a lazy ``conf`` object), never
  at import time or in ``__init__``, so ``override_settings`` reaches you.

A provider passes :mod:`marketplace_core.testing.contracts` when it follows
these rules; docs/payment-providers.md walks through writing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from marketplace_core.money import is_valid_currency

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import Order, Payment


#: The largest amount core stores, in minor units: the range of Django's
#: ``PositiveIntegerField`` on every database it supports (0 to 2**31 - 1).
MAX_AMOUNT = 2**31 - 1


class EventKind(StrEnum):
    """What a provider event means for core."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    #: The payment is under way; never downgrades a paid order.
    PAYMENT_PROCESSING = "payment_processing"
    REFUND_SUCCEEDED = "refund_succeeded"
    #: A chargeback was opened or changed; recorded, ownership unchanged.
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
    provider_dispute_id: str = ""
    #: For :attr:`EventKind.DISPUTE`: one of ``Dispute.Status``'s values
    #: (``"opened"``, ``"challenged"``, ``"won"``, ``"lost"``, ``"accepted"``,
    #: ``"cancelled"``, ``"expired"``); core treats anything else as ``"opened"``.
    dispute_status: str = ""
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


class InvalidWebhookEvent(WebhookVerificationError):
    """A verified delivery whose values core cannot apply or store.

    Raised by :func:`validate_event` and by providers for values their
    service's format forbids; core answers 400 (``"invalid event"``) with the
    message and records nothing.
    """


class WebhookDeferred(Exception):
    """A genuine delivery that cannot be applied yet (a lookup at the service failed).

    Core answers 503 and records nothing, so the service delivers it again later.
    """


class CheckoutError(Exception):
    """The provider could not start a checkout. The message is shown to the buyer."""


@dataclass(frozen=True)
class RefundRequested:
    """The service took a refund request; the money moves when its webhook says so.

    ``provider_refund_id`` is the service's id of the refund when its answer
    names one (``""`` when it does not): core matches it with the
    ``refund_succeeded`` event that makes the refund final.
    """

    provider_refund_id: str = ""


class RefundRejected(Exception):
    """The service refused the refund; retrying it unchanged cannot succeed.

    The message is shown to the seller who asked (say what the service said,
    no stack traces, no API keys).
    """


class RefundUnavailable(Exception):
    """The service could not be asked now (network, timeout, 5xx, rate limit): retry later."""


#: Billing fields a checkout form can ask for, in display order.
BILLING_FIELDS = ("name", "email", "country", "state", "city", "street", "zipcode")


class PaymentProvider:
    """Base class of payment providers; subclass it in a plugin.

    Register the subclass through the ``register_payment_providers`` hook;
    ``MARKETPLACE["PAYMENT_PROVIDER"]`` selects the active one. Core creates
    one instance per process and shares it between threads.

    Class attributes:

    ``identifier``
        Unique, stable, lowercase; used in URLs (``/payments/webhooks/<identifier>/``),
        in ``MARKETPLACE["PAYMENT_PROVIDER"]`` and stored on every order and
        payment. Never change it once orders exist.
    ``verbose_name``
        Shown to buyers.
    ``billing_fields``
        Which of :data:`BILLING_FIELDS` the checkout form must collect (the
        form validates them; ``country`` arrives as an upper-case ISO 3166-1
        alpha-2 code). Ask for what the service needs before its hosted page,
        nothing more.
    ``settings_key``
        The key of the provider's options in ``MARKETPLACE`` (usually the
        plugin's name, e.g. ``"payments_dodo"``); ``None`` means
        ``identifier``. Read them through :attr:`settings`.
    ``supports_refunds``
        Whether sellers can refund through :meth:`request_refund`. ``False``
        (the default): the seller's Refund button is disabled with the reason
        shown, and refunds only arrive from the service's own webhooks.
    ``supports_partial_refunds``
        Whether :meth:`request_refund` takes less than what is left of the
        order. ``False`` (the default): core only asks for the whole rest.
    """

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    billing_fields: ClassVar[tuple[str, ...]] = ("name", "email", "country")
    settings_key: ClassVar[str | None] = None
    supports_refunds: ClassVar[bool] = False
    supports_partial_refunds: ClassVar[bool] = False

    @property
    def settings(self) -> dict[str, Any]:
        """The provider's options, ``MARKETPLACE[settings_key]``, or ``{}`` when unset.

        Read afresh on every access, so ``override_settings`` reaches a shared
        instance; validate the options in a system check, not here.
        """
        from marketplace_core.conf import conf

        return conf.plugin(self.settings_key or self.identifier)

    def accepts_webhooks(self) -> bool:
        """Whether the generic endpoint takes deliveries for this provider now.

        ``True`` by default: a site keeps receiving refunds and disputes from a
        provider it no longer checks out with. Answer ``False`` when the
        provider must not be reachable at all (core's dummy provider outside
        development); the endpoint then answers 404.
        """
        return True

    def start_checkout(self, request: HttpRequest, order: Order) -> CheckoutSession:
        """Create a hosted checkout for ``order`` and say where to send the buyer.

        Called by the checkout view after core created (or reused) the pending
        ``order``; ``order.billing`` holds the validated billing fields and
        ``order.amount``/``order.currency`` the price the buyer must pay.

        - Charge exactly ``order.amount`` in ``order.currency``: core refuses a
          payment for any other amount.
        - Put ``str(order.reference)`` in the session's metadata so webhook
          events can name the order.
        - Send the buyer back to ``reverse("marketplace:payment_success")``
          with ``?order=<reference>``, as an absolute URL. That page grants
          nothing; only the webhook does.
        - Let the service give each payment attempt its own id; never make
          the order reference the payment id (core would merge a declined
          attempt and a paid one into one payment).
        - You may not change the order here (core stores the returned
          ``provider_checkout_id``) and you may not move money.
        - Raise :class:`CheckoutError` with a message a buyer understands when
          the service refuses or cannot be reached; the order stays pending
          and the buyer can try again. Never let other exceptions escape.
        """
        raise NotImplementedError

    def parse_webhook(self, request: HttpRequest) -> ParsedDelivery:
        """Verify ``request`` (raw body first) and return its normalized events.

        Called by the generic endpoint ``/payments/webhooks/<identifier>/``
        (CSRF-exempt and open in maintenance mode) for every delivery, in
        parallel threads, possibly many times for the same delivery.

        - Verify the signature over ``request.body`` exactly as received,
          before parsing it, and check the timestamp (five minutes either way);
          :func:`marketplace_core.payments.signing.verify` does both for
          Standard Webhooks and accepts several secrets (rotation).
        - Raise :class:`WebhookVerificationError` when the delivery cannot be
          trusted or is malformed (:class:`InvalidWebhookEvent` for a field of
          the wrong type); core answers 400 and records nothing. Parse a
          verified body with :func:`marketplace_core.payments.signing.parse_json`
          (``verify`` does), never bare ``json.loads``: a signed body nested
          100,000 deep must not crash the endpoint.
        - Core refuses events it cannot store (:func:`validate_event`); call it
          before using an event's ids for a lookup.
        - Raise :class:`WebhookDeferred` when a genuine delivery cannot be
          understood yet because a lookup at the service failed; core answers
          503 and records nothing, so the service retries.
        - Return event types you do not handle as :attr:`EventKind.IGNORED`:
          they are acknowledged (200) and logged, so the service stops retrying.
        - You may not write to the database: core applies the events, once
          per ``delivery_id``, in one transaction.
        """
        raise NotImplementedError

    def request_refund(
        self, *, order: Order, payment: Payment, amount: int, reason: str,
        idempotency_key: str,
    ) -> RefundRequested:
        """Ask the service to give ``amount`` of ``payment`` back to the buyer of ``order``.

        Only called when :attr:`supports_refunds` is ``True``, by a core Celery
        task after a seller's request was validated and committed
        (:mod:`marketplace_core.ownership.refund_requests`): ``amount`` (minor
        units, in ``order.currency``) is from 1 to what is left to refund, and
        the whole rest unless :attr:`supports_partial_refunds`.

        - **Do not grant or revoke anything, and do not write core tables.**
          The refund becomes final only when the service's ``refund_succeeded``
          webhook event arrives through :meth:`parse_webhook`, exactly like a
          refund made in the service's dashboard. Send that event (as the
          service does) even when the answer here already says "succeeded".
        - That event must name the order (or the payment) and carry the refund
          id and amount; return the same id here when the answer has one.
          Core matches the two whichever arrives first.
        - ``idempotency_key`` is stable per request: pass it on when the
          service takes one (or put it into the refund's metadata), so a
          retried call does not refund twice.
        - Raise :class:`RefundRejected` (message for the seller) when the
          service refuses, :class:`RefundUnavailable` when it cannot be
          reached; core retries the latter with backoff. Let no other
          exception escape.
        """
        raise NotImplementedError(f"{type(self).__name__} does not take refund requests")

    def sync_product(self, product: Product) -> str | None:
        """Optionally create or update ``product`` at the provider.

        Return the provider's product id, or ``None`` when the provider keeps
        no product catalog. Core itself never calls it: a provider with a
        catalog calls it from a background task queued by its own
        ``product_saved`` implementation (the Dodo plugin does), and may raise
        there to retry.
        """
        return None

    def receipt_url(self, order: Order) -> str | None:
        """Optionally, where the buyer finds a receipt or invoice for ``order``.

        Shown as a link in the buyer's order history, once per listed order, so
        it must not call the service or query the database: build the URL
        from ``order``'s fields and its payments (``order.payments.all()`` is
        prefetched by the caller). Return ``None`` (the default) when the
        service offers none for this order, for example before it is paid.
        """
        return None

    def supported_countries(self) -> Iterable[str] | None:
        """Optionally, the ISO 3166-1 alpha-2 codes the service takes payments from.

        The checkout's country list offers only these (core caches the answer
        for hours: :func:`marketplace_core.payments.countries.allowed_countries`).
        ``None`` (the default) offers every ISO country. May call the service;
        raise when it cannot answer (core then offers every country).
        """
        return None


# -------------------------------------------------------------------------
# what core can store
# -------------------------------------------------------------------------

#: Longest delivery, payment, refund or dispute id core stores (``max_length=255``).
MAX_ID_LENGTH = 255

#: The id each kind of event must carry (field of :class:`WebhookEvent`).
REQUIRED_IDS: dict[EventKind, str] = {
    EventKind.PAYMENT_SUCCEEDED: "provider_payment_id",
    EventKind.PAYMENT_FAILED: "provider_payment_id",
    EventKind.PAYMENT_PROCESSING: "provider_payment_id",
    EventKind.REFUND_SUCCEEDED: "provider_refund_id",
    EventKind.DISPUTE: "provider_dispute_id",
}


def webhook_url(identifier: str) -> str:
    """Where provider ``identifier`` delivers its webhooks, for people to copy into
    the provider's dashboard (check messages, docs): ``SITE_URL`` (or
    ``https://<your site>`` when unset) and the path of
    ``marketplace:payment_webhook`` wherever the shop's URLs are mounted.

    Raises ``NoReverseMatch`` when ``marketplace_core.urls`` is not included.
    """
    from django.urls import reverse

    from marketplace_core.conf import conf

    path = reverse("marketplace:payment_webhook", kwargs={"provider": identifier})
    return (conf.SITE_URL or "https://<your site>") + path


def text_problem(value: object) -> str | None:
    """Why ``value`` cannot be stored as text on every database, or ``None``.

    PostgreSQL refuses NUL characters; no database takes a lone surrogate
    (what JSON's ``"\\ud800"`` decodes to), which is not Unicode text.
    """
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not text"
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def _id_problem(value: object) -> str | None:
    problem = text_problem(value)
    if problem is None and len(str(value)) > MAX_ID_LENGTH:
        problem = f"is longer than {MAX_ID_LENGTH} characters"
    return problem


def validate_event(event: WebhookEvent) -> None:
    """Raise :class:`InvalidWebhookEvent` unless core can apply ``event`` as reported.

    Checks what core stores, the same on every database: the event type is
    text; a handled event has the id its kind needs (:data:`REQUIRED_IDS`)
    and every id fits the column; an amount is an ``int`` (not a ``bool``)
    from 0 to :data:`MAX_AMOUNT`; a currency is an ISO 4217 code (any case);
    a successful payment has both; the order reference, reason and dispute
    status are text. An :attr:`EventKind.IGNORED` event is only recorded by
    its type, so only that is checked.
    """
    def refuse(what: str, problem: str) -> InvalidWebhookEvent:
        return InvalidWebhookEvent(f"{event.event_type[:80]!r}: {what} {problem}")

    problem = text_problem(event.event_type)
    if problem is not None or not event.event_type:
        raise InvalidWebhookEvent(f"event type {problem or 'is empty'}")
    if event.kind == EventKind.IGNORED:
        return
    required = REQUIRED_IDS[event.kind]
    for name in ("provider_payment_id", "provider_refund_id", "provider_dispute_id"):
        value = getattr(event, name)
        if name == required and not value:
            raise refuse(name.removeprefix("provider_"), "is missing")
        if value and (problem := _id_problem(value)) is not None:
            raise refuse(name.removeprefix("provider_"), problem)
    amount = event.amount
    if amount is None:
        if event.kind == EventKind.PAYMENT_SUCCEEDED:
            raise refuse("amount", "is missing")
    elif not isinstance(amount, int) or isinstance(amount, bool):
        raise refuse("amount", f"is a {type(amount).__name__}, not an integer")
    elif not 0 <= amount <= MAX_AMOUNT:
        raise refuse("amount", f"is outside 0..{MAX_AMOUNT}")
    currency = event.currency
    if not currency:
        if event.kind == EventKind.PAYMENT_SUCCEEDED:
            raise refuse("currency", "is missing")
    elif not (isinstance(currency, str) and currency.isascii()
              and is_valid_currency(currency.upper())):
        raise refuse("currency", f"{str(currency)[:16]!r} is not an ISO 4217 code")
    for name in ("order_reference", "reason", "dispute_status"):
        value = getattr(event, name)
        if value is not None and (problem := text_problem(value)) is not None:
            raise refuse(name, problem)


def validate_delivery(delivery: ParsedDelivery) -> None:
    """:func:`validate_event` for each event, and a storable delivery id."""
    problem = _id_problem(delivery.delivery_id)
    if problem is not None or not delivery.delivery_id:
        raise InvalidWebhookEvent(f"delivery id {problem or 'is missing'}")
    for event in delivery.events:
        validate_event(event)
