"""The only module that talks to Dodo Payments, through the official ``dodopayments`` SDK.

Everything else in the plugin calls these functions with plain values and gets
plain values back, or one of two errors that say what to do next:

- :class:`DodoUnavailable`: try again later (Dodo could not be reached, timed
  out, was rate limiting with 429, or failed with 5xx; also 408 and 409).
- :class:`DodoRejected`: Dodo refused the request (another 4xx); the same
  request will be refused again, so record the reason instead of retrying.

The client is built per call from the current settings (``API_KEY``,
``ENVIRONMENT``, ``BASE_URL``), so ``override_settings`` reaches it, and closed
afterwards. ``BASE_URL`` wins over ``ENVIRONMENT`` (tests point it at
:class:`marketplace_payments_dodo.testing.FakeDodo`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import dodopayments
import httpx
from dodopayments import omit
from dodopayments.types.checkout_session_billing_address_param import (
    CheckoutSessionBillingAddressParam,
)
from dodopayments.types.country_code import CountryCode
from dodopayments.types.currency import Currency
from dodopayments.types.price_param import OneTimePrice
from dodopayments.types.tax_category import TaxCategory

from marketplace_payments_dodo.conf import conf

#: Metadata key carrying ``Order.reference`` on checkout sessions (and so on payments).
ORDER_REFERENCE_KEY = "order_reference"
#: Metadata key carrying core's refund request reference on refunds core asked for.
REFUND_REQUEST_KEY = "refund_request"
#: Metadata key carrying the core product's primary key on Dodo products.
PRODUCT_KEY = "marketplace_product_id"
#: Tax category of everything sold here (Dodo's categories: digital_products, saas, e_book...).
TAX_CATEGORY: TaxCategory = "digital_products"

#: A buyer waits on checkout: a few quick tries, then a clear error.
_CHECKOUT = {"timeout": httpx.Timeout(15.0, connect=5.0), "max_retries": 2}
#: Background work retries through Celery (visible, with long backoff), not in the SDK.
_BACKGROUND = {"timeout": httpx.Timeout(30.0, connect=5.0), "max_retries": 0}
#: Webhook handling must answer fast: one short try.
_WEBHOOK = {"timeout": httpx.Timeout(5.0, connect=2.0), "max_retries": 0}
#: A buyer waits for an invoice download: one quick retry, then a clear error.
_DOWNLOAD = {"timeout": httpx.Timeout(20.0, connect=5.0), "max_retries": 1}
#: An invoice is a few dozen kilobytes; an answer larger than this is not one.
MAX_INVOICE_BYTES = 10 * 1024 * 1024


class DodoError(Exception):
    """A call to Dodo Payments failed; ``status`` is the HTTP status if there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DodoUnavailable(DodoError):
    """Dodo could not answer now (network, timeout, 408, 409, 429, 5xx): retry later."""


class DodoRejected(DodoError):
    """Dodo refused the request (4xx): retrying it unchanged cannot succeed."""


@dataclass(frozen=True)
class ProductSpec:
    """A one-time-price Dodo product for one core product."""

    name: str
    description: str
    #: Minor units; the price includes tax, so buyers pay exactly this.
    price: int
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BillingAddress:
    #: ISO 3166-1 alpha-2, upper case.
    country: str
    state: str = ""
    city: str = ""
    street: str = ""
    zipcode: str = ""


@dataclass(frozen=True)
class CheckoutRequest:
    product_id: str
    customer_email: str
    customer_name: str
    billing: BillingAddress
    metadata: dict[str, str]
    return_url: str
    cancel_url: str = ""
    #: Dodo's code of the order's discount (``DodoDiscount.dodo_code``), if any.
    discount_code: str = ""


@dataclass(frozen=True)
class HostedCheckout:
    session_id: str
    checkout_url: str


@dataclass(frozen=True)
class PaymentSummary:
    payment_id: str
    status: str | None
    total_amount: int
    currency: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class RefundSpec:
    """A refund of (part of) one Dodo payment."""

    payment_id: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    #: A partial refund: Dodo's product id and the amount (minor units) of it to give back.
    #: ``None`` refunds the whole payment.
    item: tuple[str, int] | None = None


@dataclass(frozen=True)
class CreatedRefund:
    refund_id: str
    #: Dodo's ``RefundStatus``: ``succeeded``, ``failed``, ``pending`` or ``review``.
    status: str


@contextmanager
def _client(options: dict[str, Any]) -> Iterator[dodopayments.DodoPayments]:
    """An SDK client for the configured account; errors come out as :class:`DodoError`."""
    base_url = conf.BASE_URL
    if base_url:
        client = dodopayments.DodoPayments(bearer_token=conf.API_KEY, base_url=base_url,
                                           **options)
    else:
        # base_url=None with an environment: the SDK then ignores DODO_PAYMENTS_BASE_URL.
        environment = cast(Literal["live_mode", "test_mode"], conf.ENVIRONMENT)
        client = dodopayments.DodoPayments(bearer_token=conf.API_KEY, environment=environment,
                                           base_url=None, **options)
    try:
        with client:
            yield client
    except dodopayments.APIConnectionError as exc:  # includes timeouts
        raise DodoUnavailable(f"Dodo Payments could not be reached: {exc}") from exc
    except dodopayments.APIStatusError as exc:
        raise _status_error(exc) from exc
    except dodopayments.DodoPaymentsError as exc:  # e.g. a response the SDK cannot read
        raise DodoUnavailable(f"Dodo Payments answered something unexpected: {exc}") from exc


def _status_error(exc: dodopayments.APIStatusError) -> DodoError:
    status = exc.status_code
    detail = _detail(exc.body) or exc.message
    if status in (408, 409, 429) or status >= 500:
        return DodoUnavailable(f"Dodo Payments answered {status}: {detail}", status=status)
    return DodoRejected(f"Dodo Payments refused the request ({status}): {detail}", status=status)


def _detail(body: object) -> str:
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "code"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return str(body)[:200] if body else ""


def _price(spec: ProductSpec) -> OneTimePrice:
    return OneTimePrice(
        type="one_time_price",
        price=spec.price,
        currency=cast(Currency, spec.currency),  # Dodo answers 422 for one it does not take
        # Tax included: the buyer pays exactly the order's amount, which core checks.
        tax_inclusive=True,
        discount=0,
        purchasing_power_parity=False,
    )


def _metadata(values: dict[str, str]) -> dict[str, str | float | bool]:
    return dict(values)


# -------------------------------------------------------------------------
# products
# -------------------------------------------------------------------------


def create_product(spec: ProductSpec) -> str:
    """``POST /products``; returns Dodo's product id."""
    with _client(_BACKGROUND) as client:
        product = client.products.create(
            name=spec.name,
            description=spec.description,
            price=_price(spec),
            tax_category=TAX_CATEGORY,
            metadata=_metadata(spec.metadata),
        )
    return product.product_id


def update_product(product_id: str, spec: ProductSpec) -> None:
    """``PATCH /products/{id}`` with the name, description and price of ``spec``."""
    with _client(_BACKGROUND) as client:
        client.products.update(
            product_id,
            name=spec.name,
            description=spec.description,
            price=_price(spec),
            tax_category=TAX_CATEGORY,
            metadata=_metadata(spec.metadata),
        )


# -------------------------------------------------------------------------
# checkout and payments
# -------------------------------------------------------------------------


def create_checkout_session(request: CheckoutRequest) -> HostedCheckout:
    """``POST /checkouts`` for one unit of one product; returns the hosted page's URL."""
    billing = CheckoutSessionBillingAddressParam(country=cast(CountryCode, request.billing.country))
    for name in ("state", "city", "street", "zipcode"):
        if getattr(request.billing, name):
            billing[name] = getattr(request.billing, name)
    with _client(_CHECKOUT) as client:
        session = client.checkout_sessions.create(
            product_cart=[{"product_id": request.product_id, "quantity": 1}],
            customer={"email": request.customer_email, "name": request.customer_name},
            billing_address=billing,
            metadata=_metadata(request.metadata),
            return_url=request.return_url,
            cancel_url=request.cancel_url or None,
            # Left out without a code (not sent as null).
            discount_codes=[request.discount_code] if request.discount_code else dodopayments.omit,
        )
    if not session.checkout_url:
        raise DodoUnavailable("Dodo Payments created a checkout session without a page URL.")
    return HostedCheckout(session_id=session.session_id, checkout_url=session.checkout_url)


def retrieve_payment(payment_id: str) -> PaymentSummary:
    """``GET /payments/{id}`` with one short try (used while answering a webhook)."""
    with _client(_WEBHOOK) as client:
        payment = client.payments.retrieve(payment_id)
    return PaymentSummary(
        payment_id=payment.payment_id,
        status=payment.status,
        total_amount=payment.total_amount,
        currency=str(payment.currency),
        metadata=dict(payment.metadata or {}),
    )


def create_refund(spec: RefundSpec) -> CreatedRefund:
    """``POST /refunds``: ask Dodo to refund ``spec``; the money moves when Dodo sends
    ``refund.succeeded``. One try (the caller's Celery task retries)."""
    with _client(_BACKGROUND) as client:
        refund = client.refunds.create(
            payment_id=spec.payment_id,
            reason=spec.reason or omit,
            metadata=_metadata(spec.metadata),
            items=[{"item_id": spec.item[0], "amount": spec.item[1], "tax_inclusive": True}]
            if spec.item else omit,
        )
    return CreatedRefund(refund_id=refund.refund_id, status=str(refund.status))


def find_refund(payment_id: str, request_key: str, amount: int) -> CreatedRefund | None:
    """The refund of ``payment_id`` that core's request ``request_key`` already made, if any.

    Dodo takes no idempotency key for refunds, so a ``POST /refunds`` whose answer
    was lost (a timeout, a 5xx from a gateway after Dodo acted) may have created
    one. ``GET /payments/{id}`` lists the payment's refunds; each not-failed one of
    ``amount`` is read (``GET /refunds/{id}``) for the request key in its metadata.
    Raises :class:`DodoUnavailable` when Dodo cannot answer: the caller must not
    create a refund it cannot rule out.
    """
    with _client(_BACKGROUND) as client:
        payment = client.payments.retrieve(payment_id)
        for listed in payment.refunds or []:
            if str(listed.status) == "failed" or listed.amount != amount:
                continue
            refund = client.refunds.retrieve(listed.refund_id)
            if (refund.metadata or {}).get(REFUND_REQUEST_KEY) == request_key:
                return CreatedRefund(refund_id=refund.refund_id, status=str(refund.status))
    return None


# -------------------------------------------------------------------------
# invoices
# -------------------------------------------------------------------------


def payment_invoice(payment_id: str) -> bytes:
    """``GET /invoices/payments/{payment_id}``: the payment's invoice, as PDF bytes.

    Through the SDK's ``invoices.payments`` resource, with the API key (a
    business may ask for a credential on its invoice links). The answer is read
    in chunks and refused past :data:`MAX_INVOICE_BYTES`. Raises
    :class:`DodoRejected` when Dodo has no invoice for it (404 for an unknown
    payment, say) and :class:`DodoUnavailable` when Dodo cannot answer now or
    answers something that is not a PDF.
    """
    chunks: list[bytes] = []
    size = 0
    with _client(_DOWNLOAD) as client:
        retrieve = client.invoices.payments.with_streaming_response.retrieve
        try:
            with retrieve(payment_id) as response:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_INVOICE_BYTES:
                        raise DodoUnavailable(
                            f"Dodo Payments sent more than {MAX_INVOICE_BYTES} bytes for the "
                            f"invoice of {payment_id}.")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:  # the connection broke while reading the body
            raise DodoUnavailable(f"Dodo Payments stopped sending the invoice: {exc}") from exc
    pdf = b"".join(chunks)
    if not pdf.startswith(b"%PDF-"):
        raise DodoUnavailable(f"Dodo Payments answered something that is not a PDF for the "
                              f"invoice of {payment_id}.")
    return pdf


# -------------------------------------------------------------------------
# checkout details
# -------------------------------------------------------------------------


def supported_countries() -> list[str]:
    """``GET /checkout/supported_countries``: the ISO 3166-1 alpha-2 codes Dodo sells to.

    A buyer waits on it (the checkout form, when core's cache is cold): one short try.
    """
    with _client(_WEBHOOK) as client:
        answer = client.misc.list_supported_countries()
    return [str(code) for code in answer]


# -------------------------------------------------------------------------
# discounts
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscountSpec:
    """What Dodo should hold for a discount code.

    ``type`` is Dodo's ``percentage`` (``amount`` in basis points: 2500 is
    25 %) or ``flat`` (``amount`` minor units of ``currency`` off).
    ``restricted_to`` lists Dodo product ids (empty: any product).
    """

    type: Literal["percentage", "flat"]
    amount: int
    currency: str
    restricted_to: tuple[str, ...]
    usage_limit: int | None
    starts_at: str | None
    expires_at: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class DodoDiscountRef:
    discount_id: str
    code: str


def _discount_fields(spec: DiscountSpec) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": spec.type,
        "restricted_to": list(spec.restricted_to),
        "usage_limit": spec.usage_limit,
        "starts_at": spec.starts_at,
        "expires_at": spec.expires_at,
        "metadata": _metadata(spec.metadata),
    }
    if spec.type == "flat":
        # A flat code's deduction lives in its currency's option; "amount" is required
        # by the API and ignored for flat codes, so it carries the same value.
        fields["amount"] = spec.amount
        fields["currency_options"] = [{"currency": spec.currency, "is_default": True,
                                       "max_amount_possible": spec.amount,
                                       "minimum_subtotal": 0}]
    else:
        fields["amount"] = spec.amount
        fields["currency_options"] = []
    return fields


def create_discount(spec: DiscountSpec) -> DodoDiscountRef:
    """``POST /discounts`` (Dodo picks the code); returns its id and code."""
    with _client(_BACKGROUND) as client:
        fields = _discount_fields(spec)
        if not fields["currency_options"]:
            del fields["currency_options"]
        discount = client.discounts.create(**fields)
    return DodoDiscountRef(discount_id=discount.discount_id, code=discount.code)


def update_discount(discount_id: str, spec: DiscountSpec) -> None:
    """``PATCH /discounts/{id}`` with everything in ``spec`` (lists replaced)."""
    with _client(_BACKGROUND) as client:
        client.discounts.update(discount_id, **_discount_fields(spec))


def delete_discount(discount_id: str) -> None:
    """``DELETE /discounts/{id}``; one Dodo no longer has counts as deleted."""
    try:
        with _client(_BACKGROUND) as client:
            client.discounts.delete(discount_id)
    except DodoRejected as exc:
        if exc.status != 404:
            raise
