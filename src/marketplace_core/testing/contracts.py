"""Contract tests that every payment provider plugin runs against itself.

A provider passes when its deliveries, however forged, repeated, raced,
reordered or malformed, leave core in the states documented in
:mod:`marketplace_core.ownership.services` (and never cost a 5xx), and its
checkout sends the buyer to a hosted page that really leads to a purchase and
back. Subclass :class:`PaymentProviderContract` in your plugin's tests and give
it a ``harness`` fixture returning a :class:`ProviderHarness`::

    from marketplace_core.testing.contracts import (
        PaymentProviderContract, StandardWebhooksHarness,
    )

    class MyHarness(StandardWebhooksHarness):
        identifier = "mypay"
        ...

    class TestMyPayContract(PaymentProviderContract):
        has_disputes = False          # the service reports no chargebacks

        @pytest.fixture
        def harness(self, settings):
            settings.MARKETPLACE = {..., "PAYMENT_PROVIDER": "mypay"}
            return MyHarness(...)

A service that does not sign with Standard Webhooks subclasses
:class:`ProviderHarness` itself (docs/payment-providers.md shows one).
Run it on SQLite and on PostgreSQL (``--marketplace-db=postgres``). The class
name does not start with ``Test``, so pytest collects only your subclass.
The kit needs the ``testing`` extra of marketplace-core (pytest-django,
``requests``, ``hypothesis``).
"""

from __future__ import annotations

import abc
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import socketserver
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.core import mail
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings

from marketplace_core.ownership import services
from marketplace_core.ownership.models import (
    Dispute,
    Order,
    Payment,
    PurchasedProduct,
    Refund,
    RefundRequest,
    WebhookDelivery,
)
from marketplace_core.ownership.refund_progress import refundable_amount, send_refund_request
from marketplace_core.ownership.refund_requests import refund_options, request_refund
from marketplace_core.payments import signing
from marketplace_core.payments.providers import MAX_AMOUNT, EventKind, PaymentProvider
from marketplace_core.plugins.registry import payment_provider
from marketplace_core.testing.delivery_bodies import KNOWN_BAD_BODIES, delivery_bodies

#: A well-formed secret no provider under test uses.
FOREIGN_SECRET = "whsec_" + "Zm9yZWlnbi1zZWNyZXQtbm90LXVzZWQtYnktYW55LXNpdGU="


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery as it travels: the raw body and the HTTP headers."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class ContractEvent:
    """An event the kit asks the harness to express in the provider's format.

    ``amount``/``currency`` default to the order's; the kit sets others to
    test mismatches. ``dispute_status`` is one of ``Dispute.Status``'s values.
    """

    kind: EventKind
    order: Order
    payment_id: str = ""
    refund_id: str = ""
    dispute_id: str = ""
    amount: int | None = None
    currency: str | None = None
    dispute_status: str = "opened"
    reason: str = ""

    @property
    def charged_amount(self) -> int:
        return self.order.amount if self.amount is None else self.amount

    @property
    def charged_currency(self) -> str:
        return self.order.currency if self.currency is None else self.currency


class ProviderHarness(abc.ABC):
    """What the kit needs to know about a provider: how to speak for its service.

    Implementations build deliveries in the service's own wire format, signed
    as the service signs them, and drive its hosted checkout page (usually a
    fake of the service: see ``marketplace_payments_dodo.testing.FakeDodo``).
    They may keep state in that fake (so that a lookup of a payment the site
    has not seen yet finds it).

    The kit asks only for events the provider's contract class declares
    (:attr:`PaymentProviderContract.has_disputes`,
    :attr:`PaymentProviderContract.has_processing_event`): a harness never
    skips a test itself.
    """

    #: The provider's ``identifier``.
    identifier: ClassVar[str]
    #: POST data that passes the billing form for the provider's billing fields.
    billing: ClassVar[dict[str, str]] = {
        "name": "Ada Buyer",
        "email": "ada@example.org",
        "country": "DE",
        "state": "Berlin",
        "city": "Berlin",
        "street": "Unter den Linden 1",
        "zipcode": "10117",
    }

    @property
    def webhook_path(self) -> str:
        """Where the provider posts deliveries (the generic endpoint by default)."""
        return reverse("marketplace:payment_webhook", kwargs={"provider": self.identifier})

    @abc.abstractmethod
    def delivery(self, event: ContractEvent) -> Delivery:
        """``event`` as a correctly signed delivery with a fresh delivery id.

        The service's payment id is ``event.payment_id`` (one per payment
        attempt), its refund id ``event.refund_id``, its dispute id
        ``event.dispute_id``; the amount and currency are
        ``event.charged_amount``/``event.charged_currency`` (the kit sets them
        to test mismatches and amounts beyond what core stores).
        """

    @abc.abstractmethod
    def signed(self, body: bytes) -> Delivery:
        """``body`` exactly as given (any bytes), correctly signed, as the service sends it.

        The kit signs broken bodies with it (not UTF-8, not JSON, nested
        100,000 deep, with huge amounts): the signature is good, so only the
        provider's parsing and core's checks stand between them and the
        database. Give it a fresh delivery id where the id travels outside the
        body.
        """

    @abc.abstractmethod
    def ignored_delivery(self, order: Order) -> Delivery:
        """A correctly signed delivery of an event type the provider does not handle."""

    @abc.abstractmethod
    def forgeries(self, event: ContractEvent) -> dict[str, Delivery]:
        """Deliveries of ``event`` that must be refused, by what is wrong with them.

        Include at least: signed with another secret, body changed after
        signing, signature missing, and a timestamp outside the tolerance (or
        whatever the service's scheme uses against replays).
        """

    @abc.abstractmethod
    def assert_hosted_checkout(self, location: str, order: Order) -> None:
        """Assert that the checkout redirect ``location`` is ``order``'s hosted page.

        Called after each checkout; with two checkouts open for one order
        (two browser tabs), ``order.provider_checkout_id`` is the latest.
        """

    @abc.abstractmethod
    def pay(self, session: requests.Session, location: str, *, site_url: str) -> str:
        """Pay at the hosted page ``location`` as the buyer whose ``session`` this is.

        The provider (or its fake) must then deliver its webhook over HTTP to
        the live server at ``site_url``; the kit waits for the order to be
        paid. Return where the hosted page sends the buyer back (its redirect,
        not followed): the kit checks that it is core's payment success page
        naming the order.
        """

    @abc.abstractmethod
    def decline(self, session: requests.Session, location: str, *, site_url: str) -> str:
        """Make the payment at the hosted page ``location`` fail (a declined card).

        Like :meth:`pay`: the service delivers its failure webhook to
        ``site_url`` and the buyer's way back is returned. Each attempt is its
        own payment at the service, with its own payment id.
        """

    def send_webhooks_to(self, site_url: str) -> None:
        """Make the service deliver its webhooks to the live server at ``site_url``.

        Called by the refund tests before core asks for a refund. By default
        nothing: the kit also sets ``MARKETPLACE["SITE_URL"]`` to ``site_url``.
        """
        return

    @contextlib.contextmanager
    def refusing_refunds(self, order: Order) -> Iterator[str]:
        """While open, the service refuses to refund ``order`` (as it would an
        expired card); yields a part of the message the seller must then see.

        Needed when the provider declares ``supports_refunds``.
        """
        pytest.fail(f"{type(self).__name__} must implement refusing_refunds: its provider "
                    "declares supports_refunds")
        yield ""


def sign_bytes(secret: str, body: bytes, *, msg_id: str | None = None,
               timestamp: dt.datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for any ``body`` bytes (UTF-8 or not).

    :func:`marketplace_core.payments.signing.sign` signs text through the
    reference library; this signs raw bytes the same way (HMAC-SHA256 over
    ``id.timestamp.body``), so the kit can send bodies that are not UTF-8.
    """
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = str(int((timestamp or dt.datetime.now(tz=dt.UTC)).timestamp()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{when}.".encode() + body, hashlib.sha256).digest()
    return {signing.HEADER_ID: msg_id, signing.HEADER_TIMESTAMP: when,
            signing.HEADER_SIGNATURE: "v1," + base64.b64encode(mac).decode()}


class StandardWebhooksHarness(ProviderHarness):
    """A harness for providers that sign with Standard Webhooks.

    Subclasses say how an event looks (:meth:`payload`) and which secret
    signs it; signing, fresh ids and the forged variants come from here.
    """

    @property
    @abc.abstractmethod
    def signing_secret(self) -> str:
        """The ``whsec_`` secret the site verifies with."""

    @abc.abstractmethod
    def payload(self, event: ContractEvent) -> dict[str, Any]:
        """The JSON body the provider sends for ``event``."""

    @abc.abstractmethod
    def ignored_payload(self, order: Order) -> dict[str, Any]:
        """The JSON body of an event type the provider does not handle."""

    def sign(self, payload: dict[str, Any] | bytes, *, secret: str | None = None,
             msg_id: str | None = None, timestamp: dt.datetime | None = None) -> Delivery:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = signing.sign(secret or self.signing_secret,
                               msg_id or f"msg_{uuid.uuid4().hex}", body, timestamp=timestamp)
        return Delivery(body=body, headers=headers)

    def signed(self, body: bytes) -> Delivery:
        return Delivery(body=body, headers=sign_bytes(self.signing_secret, body))

    def delivery(self, event: ContractEvent) -> Delivery:
        return self.sign(self.payload(event))

    def ignored_delivery(self, order: Order) -> Delivery:
        return self.sign(self.ignored_payload(order))

    def forgeries(self, event: ContractEvent) -> dict[str, Delivery]:
        now = dt.datetime.now(tz=dt.UTC)
        genuine = self.delivery(event)
        headers = genuine.headers

        def without(*names: str) -> dict[str, str]:
            return {k: v for k, v in headers.items() if k not in names}

        return {
            "signed with another secret": self.sign(genuine.body, secret=FOREIGN_SECRET),
            "one byte of the body changed": Delivery(change_one_byte(genuine.body), headers),
            "signature header missing": Delivery(genuine.body, without("webhook-signature")),
            "no webhook headers": Delivery(genuine.body, {}),
            "timestamp six minutes old": self.sign(
                genuine.body, timestamp=now - dt.timedelta(minutes=6)),
            "timestamp six minutes ahead": self.sign(
                genuine.body, timestamp=now + dt.timedelta(minutes=6)),
            "timestamp changed after signing": Delivery(genuine.body, {
                **headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 1)}),
            "webhook-id changed after signing": Delivery(genuine.body, {
                **headers, "webhook-id": f"msg_{uuid.uuid4().hex}"}),
            "unknown signature version": Delivery(genuine.body, {
                **headers,
                "webhook-signature": headers["webhook-signature"].replace("v1,", "v9,"),
            }),
        }


def change_one_byte(body: bytes) -> bytes:
    """``body`` with its last digit changed: still valid JSON, no longer what was signed."""
    digits = [m.start() for m in re.finditer(rb"[0-9]", body)]
    assert digits, "the body has no digit to change"
    i = digits[-1]
    digit = b"1" if body[i:i + 1] != b"1" else b"2"
    return body[:i] + digit + body[i + 1:]


# -------------------------------------------------------------------------
# helpers
# -------------------------------------------------------------------------


def post_delivery(client: Client, path: str, delivery: Delivery) -> Any:
    """POST ``delivery`` through Django's test client, byte for byte."""
    return client.post(path, data=delivery.body, content_type="application/json",
                       headers=delivery.headers)


def send_together(count: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    """Call ``send(i)`` from ``count`` threads released at the same instant."""
    barrier = threading.Barrier(count, timeout=60)

    def run(i: int) -> requests.Response:
        barrier.wait()
        return send(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


class InFlight:
    """Counts the requests the live server handles at the same time (``peak``).

    A concurrency test asserts ``peak >= 2`` so it proves its requests really
    overlapped instead of queueing one behind another.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def started(self, **kwargs: Any) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def finished(self, **kwargs: Any) -> None:
        with self._lock:
            self.now -= 1


@contextlib.contextmanager
def requests_in_flight() -> Iterator[InFlight]:
    """An :class:`InFlight` counter connected to Django's request signals."""
    counter = InFlight()
    request_started.connect(counter.started, weak=False)
    request_finished.connect(counter.finished, weak=False)
    try:
        yield counter
    finally:
        request_started.disconnect(counter.started)
        request_finished.disconnect(counter.finished)


def accept_many_connections(live_server: Any) -> Any:
    """Let pytest-django's live server take many connections at once.

    Django's ``ThreadedWSGIServer`` listens with a backlog of 10; the kernel
    resets connections beyond it before any of our code runs. Production
    servers listen with backlogs in the thousands (gunicorn: 2048).
    """
    httpd = live_server.thread.httpd
    assert isinstance(httpd, socketserver.ThreadingMixIn), "live server is not threaded"
    assert isinstance(httpd, socketserver.TCPServer)
    httpd.socket.listen(1024)
    return live_server


def browser_session(client: Client, user: Any) -> requests.Session:
    """A ``requests`` session logged in as ``user`` (for pages on the live server)."""
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def wait_until(predicate: Callable[[], bool], *, timeout: float = 30.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def table_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "disputes": Dispute.objects.count(),
        "purchases": PurchasedProduct.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
    }


def owns(order: Order) -> bool:
    return services.owns(order.buyer, order.product)


def documented_end_state(kinds: set[EventKind]) -> tuple[str, bool]:
    """(order status, owned) after ``kinds`` arrived in any order (services' table)."""
    if EventKind.REFUND_SUCCEEDED in kinds:
        return Order.Status.REFUNDED, False
    if EventKind.PAYMENT_SUCCEEDED in kinds:
        return Order.Status.PAID, True
    if EventKind.PAYMENT_FAILED in kinds:
        return Order.Status.FAILED, False
    return Order.Status.PENDING, False


# -------------------------------------------------------------------------
# the contract
# -------------------------------------------------------------------------


def answering_client() -> Client:
    """A test client that answers a crash with 500, as a server would, instead of raising.

    The kit's no-5xx checks see the status a provider's service would see.
    """
    return Client(raise_request_exception=False)


def assert_refused(response: Any, before: dict[str, int], what: str = "") -> None:
    """``response`` is a 4xx with a JSON ``error`` and the tables are as ``before``."""
    body = response.content[:300]
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {body!r}"
    assert response["Content-Type"] == "application/json", f"{what}: {body!r}"
    assert response.json().get("error"), f"{what}: no error named in {body!r}"
    assert table_counts() == before, f"{what}: a refused delivery changed the tables"


class PaymentProviderContract:
    """The behaviour every payment provider must show. Subclass it; provide ``harness``.

    Declare what the service does not send with the class attributes below,
    in your test class, where a reader sees them: the kit then skips the tests
    that need it (the skip names the attribute) and never asks the harness for
    such an event.
    """

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.django_db]

    #: Whether the service reports chargebacks (``dispute.*`` events). ``False``
    #: skips the dispute tests.
    has_disputes: ClassVar[bool] = True
    #: Whether the service reports a payment under way before its outcome
    #: ("processing"). ``False`` leaves it out of the event orderings.
    has_processing_event: ClassVar[bool] = True
    #: Bodies the no-5xx property tries per run (hypothesis examples).
    fuzz_examples: ClassVar[int] = 150

    def event_kinds(self) -> list[EventKind]:
        """The kinds of event the service sends, as the class attributes declare."""
        kinds = [EventKind.PAYMENT_FAILED, EventKind.PAYMENT_SUCCEEDED,
                 EventKind.REFUND_SUCCEEDED]
        if self.has_processing_event:
            kinds.insert(0, EventKind.PAYMENT_PROCESSING)
        if self.has_disputes:
            kinds.append(EventKind.DISPUTE)
        return kinds

    def _needs_disputes(self) -> None:
        if not self.has_disputes:
            pytest.skip(f"{type(self).__name__}.has_disputes is False")

    @pytest.fixture
    def harness(self) -> ProviderHarness:
        pytest.fail(f"{type(self).__name__} must define a `harness` fixture "
                    "returning a ProviderHarness")

    @pytest.fixture
    def buyer(self, make_user: Callable[..., Any]) -> Any:
        return make_user(email="contract-buyer@example.com", name="Ada Buyer")

    @pytest.fixture
    def product(self, make_product: Callable[..., Any]) -> Any:
        return make_product(title="Contract Field Guide", price=1999, currency="USD")

    @pytest.fixture
    def order(self, harness: ProviderHarness, buyer: Any, product: Any) -> Order:
        return services.start_checkout(buyer=buyer, product=product,
                                       provider=harness.identifier, billing=dict(harness.billing))

    @staticmethod
    def event(kind: EventKind, order: Order, **fields: Any) -> ContractEvent:
        fields.setdefault("payment_id", f"pay_{order.reference.hex[:12]}")
        if kind == EventKind.REFUND_SUCCEEDED:
            fields.setdefault("refund_id", f"ref_{order.reference.hex[:12]}")
        if kind == EventKind.DISPUTE:
            fields.setdefault("dispute_id", f"dp_{order.reference.hex[:12]}")
        return ContractEvent(kind=kind, order=order, **fields)

    @staticmethod
    def deliver(client: Client, harness: ProviderHarness, delivery: Delivery) -> Any:
        return post_delivery(client, harness.webhook_path, delivery)

    @staticmethod
    def check_out(session: requests.Session, live_server: Any, harness: ProviderHarness,
                  buyer: Any, product: Any) -> tuple[Order, str]:
        """Fill in the billing form on the live server: (the order, the hosted page's URL)."""
        url = live_server.url + reverse("marketplace:checkout", kwargs={"slug": product.slug})
        form = session.get(url)
        assert form.status_code == 200
        fields = set(re.findall(r'name="([a-z]+)"', form.text)) & set(harness.billing)
        response = session.post(url, allow_redirects=False, headers={"Referer": url}, data={
            **{name: harness.billing[name] for name in fields},
            "csrfmiddlewaretoken": csrf_token(form.text),
        })
        assert response.status_code == 302, response.text[:500]
        order = Order.objects.get(buyer=buyer, product=product, status=Order.Status.PENDING)
        location = response.headers["Location"]
        harness.assert_hosted_checkout(location, order)
        return order, location

    @staticmethod
    def way_back(back: str, location: str, live_server: Any, order: Order) -> str:
        """Assert that the hosted page sent the buyer back to the success page of ``order``."""
        url = urljoin(location, back)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == live_server.url, (
            f"the buyer is sent back to {url}, not to the site")
        assert parts.path == reverse("marketplace:payment_success"), (
            f"the buyer is sent back to {url}, not to the payment success page")
        assert parse_qs(parts.query).get("order") == [str(order.reference)], (
            f"the way back {url} does not name the order ({order.reference})")
        return url

    # --- checkout ----------------------------------------------------------

    def test_checkout_creates_the_order_then_redirects_to_the_hosted_page(
        self, client: Client, harness: ProviderHarness, buyer: Any, product: Any
    ) -> None:
        client.force_login(buyer)
        url = reverse("marketplace:checkout", kwargs={"slug": product.slug})
        form = client.get(url)
        assert form.status_code == 200
        data = {name: harness.billing[name] for name in form.context["form"].fields}

        response = client.post(url, data)

        assert response.status_code == 302, response.content[:500]
        order = Order.objects.get(buyer=buyer, product=product)
        assert order.status == Order.Status.PENDING
        assert order.provider == harness.identifier
        assert (order.amount, order.currency) == (product.price, product.currency)
        assert order.provider_checkout_id, "the provider's checkout id is stored on the order"
        harness.assert_hosted_checkout(response["Location"], order)
        assert not owns(order)

    def test_success_page_grants_nothing_by_itself(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        client.force_login(order.buyer)
        url = reverse("marketplace:payment_success")
        response = client.get(url, {"order": str(order.reference), "status": "succeeded",
                                    "payment_id": "pay_made_up"})
        assert response.status_code == 200
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING
        assert not owns(order)
        assert Payment.objects.count() == 0

    @pytest.mark.smoke
    @pytest.mark.django_db(transaction=True)
    def test_paying_at_the_hosted_page_puts_the_product_in_my_products(
        self, live_server: Any, client: Client, harness: ProviderHarness, buyer: Any,
        product: Any,
    ) -> None:
        session = browser_session(client, buyer)
        order, location = self.check_out(session, live_server, harness, buyer, product)

        back = harness.pay(session, location, site_url=live_server.url)

        way_back = self.way_back(back, location, live_server, order)
        wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID,
                   what="the provider's webhook to pay the order")
        assert PurchasedProduct.objects.filter(order=order).count() == 1
        landing = session.get(way_back)
        assert landing.url.endswith(reverse("marketplace:my_products"))
        assert product.title in landing.text

    @pytest.mark.django_db(transaction=True)
    def test_a_declined_attempt_and_a_paid_one_are_two_payments(
        self, live_server: Any, client: Client, harness: ProviderHarness, buyer: Any,
        product: Any,
    ) -> None:
        """Two tabs on one order: the card is declined in one, accepted in the other.

        Each attempt is its own payment at the service, with its own id, so
        core records both; a provider that named payments by the order would
        record one, and could not tell a refund of which.
        """
        session = browser_session(client, buyer)
        order, first = self.check_out(session, live_server, harness, buyer, product)
        again, second = self.check_out(session, live_server, harness, buyer, product)
        assert again.pk == order.pk, "the pending order is reused"

        back = harness.decline(session, first, site_url=live_server.url)
        self.way_back(back, first, live_server, order)
        wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.FAILED,
                   what="the provider's webhook of the declined payment")
        harness.pay(session, second, site_url=live_server.url)
        wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID,
                   what="the provider's webhook to pay the order")

        attempts = list(Payment.objects.filter(order=order).values_list(
            "provider_payment_id", "status"))
        assert sorted(status for _, status in attempts) == [
            Payment.Status.FAILED, Payment.Status.SUCCEEDED], attempts
        assert len({payment_id for payment_id, _ in attempts}) == 2, attempts
        assert owns(order)

    # --- verified deliveries -------------------------------------------------

    @pytest.mark.smoke
    def test_valid_delivery_grants_ownership_once(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        event = self.event(EventKind.PAYMENT_SUCCEEDED, order)

        first = self.deliver(client, harness, harness.delivery(event))
        again = self.deliver(client, harness, harness.delivery(event))  # same payment, new id

        assert (first.status_code, again.status_code) == (200, 200)
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert owns(order)
        assert PurchasedProduct.objects.filter(order=order).count() == 1
        assert Payment.objects.filter(order=order).count() == 1

    def test_each_payment_attempt_keeps_its_own_payment_id(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        """A declined attempt, a paid one, a refund of the paid one: two payments, and the
        refund belongs to the one that took the money."""
        declined = self.event(EventKind.PAYMENT_FAILED, order, reason="Card declined",
                              payment_id=f"pay_try1_{order.reference.hex[:8]}")
        paid = self.event(EventKind.PAYMENT_SUCCEEDED, order,
                          payment_id=f"pay_try2_{order.reference.hex[:8]}")
        refund = self.event(EventKind.REFUND_SUCCEEDED, order, payment_id=paid.payment_id)
        for event in (declined, paid, refund):
            response = self.deliver(client, harness, harness.delivery(event))
            assert response.status_code == 200, (event.kind, response.content[:300])

        ids = dict(Payment.objects.filter(order=order).values_list("status", "provider_payment_id"))
        assert set(ids) == {Payment.Status.FAILED, Payment.Status.SUCCEEDED}, (
            f"each attempt is its own payment; recorded {ids}")
        assert ids[Payment.Status.FAILED] != ids[Payment.Status.SUCCEEDED]
        recorded = Refund.objects.select_related("payment").get(order=order)
        assert recorded.payment is not None, "the refund names the payment it refunds"
        assert recorded.payment.provider_payment_id == ids[Payment.Status.SUCCEEDED]

    def test_forged_or_stale_deliveries_grant_nothing(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        event = self.event(EventKind.PAYMENT_SUCCEEDED, order)
        before = table_counts()

        answers = {name: self.deliver(client, harness, forged).status_code
                   for name, forged in harness.forgeries(event).items()}

        assert len(answers) >= 4
        assert {name: code for name, code in answers.items() if code != 400} == {}
        assert table_counts() == before
        assert not owns(order)
        # Nothing was recorded, so the genuine delivery still goes through.
        assert self.deliver(client, harness, harness.delivery(event)).status_code == 200
        assert owns(order)

    @pytest.mark.by_database
    def test_replayed_delivery_is_a_no_op(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        payment = harness.delivery(self.event(EventKind.PAYMENT_SUCCEEDED, order))
        refund = harness.delivery(self.event(EventKind.REFUND_SUCCEEDED, order))
        assert self.deliver(client, harness, payment).status_code == 200
        assert self.deliver(client, harness, refund).status_code == 200
        after_refund = table_counts()

        replays = [self.deliver(client, harness, d) for d in (payment, refund, payment)]

        assert [r.status_code for r in replays] == [200, 200, 200]
        assert [r.json()["status"] for r in replays] == ["duplicate"] * 3
        assert table_counts() == after_refund
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert not owns(order)

    @pytest.mark.by_database
    @pytest.mark.django_db(transaction=True)
    def test_50_concurrent_copies_of_a_delivery_grant_once(
        self, live_server: Any, harness: ProviderHarness, order: Order
    ) -> None:
        accept_many_connections(live_server)
        delivery = harness.delivery(self.event(EventKind.PAYMENT_SUCCEEDED, order))
        url = live_server.url + harness.webhook_path

        def send(i: int) -> requests.Response:
            with requests.Session() as session:  # a connection of its own
                return session.post(url, data=delivery.body, timeout=120, headers={
                    **delivery.headers, "Content-Type": "application/json"})

        with requests_in_flight() as in_flight:
            responses = send_together(50, send)

        assert in_flight.peak >= 2, f"at most {in_flight.peak} request at a time"
        assert [r.status_code for r in responses] == [200] * 50, {
            r.status_code: r.text[:300] for r in responses if r.status_code != 200}
        assert Counter(r.json()["status"] for r in responses) == {"ok": 1, "duplicate": 49}
        assert PurchasedProduct.objects.count() == 1
        assert Payment.objects.count() == 1
        assert WebhookDelivery.objects.count() == 1
        assert owns(order)

    def test_refund_revokes_ownership(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        payment = self.event(EventKind.PAYMENT_SUCCEEDED, order)
        assert self.deliver(client, harness, harness.delivery(payment)).status_code == 200
        assert owns(order)

        refund = self.event(EventKind.REFUND_SUCCEEDED, order, reason="Requested by buyer")
        assert self.deliver(client, harness, harness.delivery(refund)).status_code == 200

        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert not owns(order)
        purchase = PurchasedProduct.objects.get(order=order)
        assert purchase.revoked_at is not None
        assert purchase.revoke_reason == "refund"
        assert Refund.objects.get(order=order).amount == order.amount
        # The payment delivered again (a provider retry) does not give it back.
        assert self.deliver(client, harness, harness.delivery(payment)).status_code == 200
        assert not owns(order)

    # --- refunds a seller asks for ------------------------------------------

    def _provider(self, harness: ProviderHarness) -> Any:
        return payment_provider(harness.identifier)

    def _needs_refunds(self, harness: ProviderHarness, *, partial: bool = False) -> Any:
        provider = self._provider(harness)
        if not provider.supports_refunds:
            pytest.skip(f"{type(provider).__name__}.supports_refunds is False")
        if partial and not provider.supports_partial_refunds:
            pytest.skip(f"{type(provider).__name__}.supports_partial_refunds is False")
        return provider

    def refundable_sale(self, live_server: Any, client: Client, settings: Any,
                        harness: ProviderHarness, buyer: Any, product: Any, *,
                        partial: bool = False) -> Order:
        """An order paid at the hosted page, the service's webhooks going to the live
        server; the test is skipped unless the provider declares (partial) refunds."""
        self._needs_refunds(harness, partial=partial)
        settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": live_server.url}
        harness.send_webhooks_to(live_server.url)
        session = browser_session(client, buyer)
        order, location = self.check_out(session, live_server, harness, buyer, product)
        harness.pay(session, location, site_url=live_server.url)
        wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID,
                   what="the provider's webhook to pay the order")
        return Order.objects.get(pk=order.pk)

    @staticmethod
    def ask_for_refund(order: Order, amount: int, reason: str = "") -> RefundRequest:
        """The seller's request, then what its task does (unless the task ran already)."""
        request = request_refund(seller=order.product.seller, order_reference=order.reference,
                                 amount=amount, reason=reason)
        send_refund_request(request.pk)
        return request

    def test_a_provider_without_refunds_says_so(
        self, harness: ProviderHarness, order: Order,
    ) -> None:

        provider = self._provider(harness)
        overrides = type(provider).request_refund is not PaymentProvider.request_refund
        if provider.supports_refunds:
            assert overrides, "supports_refunds is True but request_refund is not implemented"
            return
        assert not overrides, "request_refund is implemented but supports_refunds is False"
        assert not provider.supports_partial_refunds, (
            "supports_partial_refunds without supports_refunds")
        assert "does not take refund requests" in refund_options(order).unavailable_reason

    @pytest.mark.django_db(transaction=True)
    def test_a_requested_refund_lands_through_the_webhook_once(
        self, live_server: Any, client: Client, settings: Any, harness: ProviderHarness,
        buyer: Any, product: Any,
    ) -> None:
        order = self.refundable_sale(live_server, client, settings, harness, buyer, product)
        request = self.ask_for_refund(order, order.amount, "Requested by buyer")

        wait_until(lambda: RefundRequest.objects.get(pk=request.pk).status == "succeeded",
                   what="the provider's refund webhook")
        request.refresh_from_db()
        refund = Refund.objects.get(order=order)
        assert request.refund == refund
        assert (refund.amount, refund.currency) == (order.amount, order.currency)
        assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED
        assert not owns(order)
        wait_until(lambda: any("was refunded" in m.subject for m in mail.outbox),
                   what="the buyer's refund notice")
        # The task again (a redelivery) asks the service for nothing more.
        assert send_refund_request(request.pk) is None
        assert Refund.objects.filter(order=order).count() == 1

    @pytest.mark.django_db(transaction=True)
    def test_a_partial_refund_keeps_access_and_leaves_the_rest(
        self, live_server: Any, client: Client, settings: Any, harness: ProviderHarness,
        buyer: Any, product: Any,
    ) -> None:
        order = self.refundable_sale(live_server, client, settings, harness, buyer, product,
                                     partial=True)
        self.ask_for_refund(order, 500)

        wait_until(lambda: Refund.objects.filter(order=order).exists(),
                   what="the provider's refund webhook")
        assert Refund.objects.get(order=order).amount == 500
        assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
        assert owns(order)
        assert refundable_amount(order) == order.amount - 500

    @pytest.mark.django_db(transaction=True)
    def test_a_refused_refund_fails_the_request_and_changes_nothing(
        self, live_server: Any, client: Client, settings: Any, harness: ProviderHarness,
        buyer: Any, product: Any,
    ) -> None:
        order = self.refundable_sale(live_server, client, settings, harness, buyer, product)
        with harness.refusing_refunds(order) as message:
            request = self.ask_for_refund(order, order.amount)
        request.refresh_from_db()
        assert request.status == RefundRequest.Status.FAILED
        assert message in request.failure_reason
        assert not Refund.objects.filter(order=order).exists()
        assert owns(order)
        assert refundable_amount(order) == order.amount  # the seller may try again

    @pytest.mark.parametrize(("amount_change", "currency"), [(-1, None), (1, None), (0, "EUR")],
                             ids=["one-cent-less", "one-cent-more", "other-currency"])
    def test_amount_or_currency_mismatch_grants_nothing_and_is_flagged(
        self, client: Client, harness: ProviderHarness, order: Order, amount_change: int,
        currency: str | None,
    ) -> None:
        event = self.event(EventKind.PAYMENT_SUCCEEDED, order,
                           amount=order.amount + amount_change, currency=currency)

        response = self.deliver(client, harness, harness.delivery(event))

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING
        assert not owns(order)
        payment = Payment.objects.get(order=order)
        assert payment.flag == "amount_mismatch"
        assert payment.status == Payment.Status.FAILED

    def test_events_in_any_order_end_in_the_documented_state(
        self, client: Client, harness: ProviderHarness, buyer: Any,
        make_product: Callable[..., Any],
    ) -> None:
        kinds = [kind for kind in self.event_kinds() if kind != EventKind.DISPUTE]
        wrong: list[str] = []
        for size in range(1, len(kinds) + 1):
            for sequence in itertools.permutations(kinds, size):
                product = make_product(content=None, price=2500, currency="USD")
                order = services.start_checkout(buyer=buyer, product=product,
                                                provider=harness.identifier,
                                                billing=dict(harness.billing))
                good = f"pay_ok_{order.reference.hex[:10]}"
                for kind in sequence:
                    # A failed attempt is its own payment; the rest are one payment's story.
                    payment_id = f"pay_no_{order.reference.hex[:10]}" if (
                        kind == EventKind.PAYMENT_FAILED) else good
                    delivery = harness.delivery(self.event(kind, order, payment_id=payment_id))
                    response = self.deliver(client, harness, delivery)
                    assert response.status_code == 200, (sequence, kind, response.content)
                order.refresh_from_db()
                expected = documented_end_state(set(sequence))
                if (order.status, owns(order)) != expected:
                    wrong.append(f"{' → '.join(sequence)}: {order.status}, owned={owns(order)}; "
                                 f"expected {expected[0]}, owned={expected[1]}")
        assert wrong == []

    @pytest.mark.by_database
    def test_disputes_are_recorded_and_only_move_forward(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        self._needs_disputes()
        payment = self.event(EventKind.PAYMENT_SUCCEEDED, order)
        assert self.deliver(client, harness, harness.delivery(payment)).status_code == 200

        for status in ("opened", "challenged", "won", "opened", "lost"):
            dispute = self.event(EventKind.DISPUTE, order, dispute_status=status,
                                 reason="fraudulent")
            assert self.deliver(client, harness, harness.delivery(dispute)).status_code == 200

        recorded = Dispute.objects.get(order=order)
        assert recorded.provider == harness.identifier
        assert recorded.status == Dispute.Status.WON
        assert recorded.closed_at is not None
        assert (recorded.amount, recorded.currency) == (order.amount, order.currency)
        assert recorded.reason == "fraudulent"
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert owns(order)

    def test_dispute_before_the_payment_is_recorded(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        self._needs_disputes()
        dispute = self.event(EventKind.DISPUTE, order, dispute_status="opened")
        assert self.deliver(client, harness, harness.delivery(dispute)).status_code == 200
        payment = self.event(EventKind.PAYMENT_SUCCEEDED, order)
        assert self.deliver(client, harness, harness.delivery(payment)).status_code == 200

        recorded = Dispute.objects.get(order=order)
        assert recorded.status == Dispute.Status.OPENED
        assert recorded.payment is None or recorded.payment.order_id == order.pk

    def test_unhandled_event_types_are_acknowledged_and_change_nothing(
        self, client: Client, harness: ProviderHarness, order: Order
    ) -> None:
        before = table_counts()

        response = self.deliver(client, harness, harness.ignored_delivery(order))

        assert response.status_code == 200
        assert table_counts() == {**before, "deliveries": before["deliveries"] + 1}
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING

    def test_webhooks_are_applied_in_maintenance_mode(
        self, client: Client, harness: ProviderHarness, order: Order, settings: Any
    ) -> None:
        settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
        client.force_login(order.buyer)
        assert client.get(reverse("marketplace:product_list")).status_code == 503

        event = self.event(EventKind.PAYMENT_SUCCEEDED, order)
        response = self.deliver(client, harness, harness.delivery(event))

        assert response.status_code == 200
        assert owns(order)

    # --- bodies that are signed but malformed ---------------------------------

    @pytest.mark.by_database
    @pytest.mark.parametrize(("kind", "amount"), [
        (EventKind.PAYMENT_SUCCEEDED, MAX_AMOUNT + 1),
        (EventKind.PAYMENT_SUCCEEDED, 2**63),
        (EventKind.PAYMENT_SUCCEEDED, -1),
        (EventKind.PAYMENT_FAILED, 2**64),
        (EventKind.REFUND_SUCCEEDED, 2**63),
    ], ids=["paid-2**31", "paid-2**63", "paid-negative", "failed-2**64", "refund-2**63"])
    def test_amounts_core_cannot_store_are_refused(
        self, harness: ProviderHarness, order: Order, kind: EventKind, amount: int
    ) -> None:
        """Over 2**31 - 1 is out of range for PostgreSQL's integer, 2**63 for SQLite's."""
        before = table_counts()

        response = self.deliver(answering_client(), harness,
                                harness.delivery(self.event(kind, order, amount=amount)))

        assert_refused(response, before, f"{kind} of {amount}")
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING

    def test_a_body_nested_100000_deep_is_refused(
        self, harness: ProviderHarness, order: Order
    ) -> None:
        before = table_counts()
        body = b"[" * 100_000 + b"]" * 100_000

        response = self.deliver(answering_client(), harness, harness.signed(body))

        assert_refused(response, before, "100,000 nested arrays")

    @pytest.mark.by_database
    def test_no_signed_body_is_answered_with_a_5xx(
        self, harness: ProviderHarness, order: Order
    ) -> None:
        """Property: whatever the body, signed correctly, the answer is never a 5xx.

        Bodies derive from the genuine ones (:mod:`.delivery_bodies`). A refused
        one (4xx) names its error in JSON and changes nothing; an accepted one
        may apply (each body is tried on the same starting state). The genuine
        bodies, re-signed with :meth:`ProviderHarness.signed`, must be accepted,
        or the property would only be testing the signature check.
        """
        client = answering_client()
        genuine = [harness.delivery(self.event(kind, order)).body for kind in self.event_kinds()]
        genuine.append(harness.ignored_delivery(order).body)
        answers: Counter[int] = Counter()

        def send(body: bytes) -> None:
            with transaction.atomic():
                before = table_counts()
                response = self.deliver(client, harness, harness.signed(body))
                answers[response.status_code] += 1
                assert response.status_code < 500, (
                    f"{response.status_code} for the signed body {body[:300]!r}: "
                    f"{response.content[:300]!r}")
                if response.status_code >= 400:
                    assert_refused(response, before, f"the signed body {body[:300]!r}")
                transaction.set_rollback(True)  # every body meets the same state

        for body in genuine:
            send(body)
        assert answers == {200: len(genuine)}, f"genuine bodies re-signed: {answers}"

        never_a_5xx = send
        for known in KNOWN_BAD_BODIES:  # tried first, on every run
            never_a_5xx = example(body=known)(never_a_5xx)
        fuzz = given(body=delivery_bodies(genuine))(never_a_5xx)
        settings(max_examples=self.fuzz_examples, deadline=None, database=None,
                 report_multiple_bugs=False, suppress_health_check=list(HealthCheck))(fuzz)()
        assert sum(n for code, n in answers.items() if 400 <= code < 500), answers
