"""Contract tests that every payment provider plugin runs against itself.

A provider passes when its deliveries, however forged, repeated, raced or
reordered, leave core in the states documented in
:mod:`marketplace_core.ownership.services`, and its checkout sends the buyer
to a hosted page that really leads to a purchase. Subclass
:class:`PaymentProviderContract` in your plugin's tests and give it a
``harness`` fixture returning a :class:`ProviderHarness`::

    from marketplace_core.testing.contracts import (
        PaymentProviderContract, StandardWebhooksHarness,
    )

    class MyHarness(StandardWebhooksHarness):
        identifier = "mypay"
        ...

    class TestMyPayContract(PaymentProviderContract):
        @pytest.fixture
        def harness(self, settings):
            settings.MARKETPLACE = {..., "PAYMENT_PROVIDER": "mypay"}
            return MyHarness(...)

Run it on SQLite and on PostgreSQL (``--marketplace-db=postgres``). The class
name does not start with ``Test``, so pytest collects only your subclass.
The kit needs ``requests`` and pytest-django (``live_server``, ``client``).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
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

import pytest
import requests
from django.core.signals import request_finished, request_started
from django.test import Client
from django.urls import reverse

from marketplace_core.ownership import services
from marketplace_core.ownership.models import (
    Dispute,
    Order,
    Payment,
    PurchasedProduct,
    Refund,
    WebhookDelivery,
)
from marketplace_core.payments import signing
from marketplace_core.payments.providers import EventKind

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
    """What the kit needs to know about a provider: how to speak for it.

    Implementations build deliveries in the provider's own wire format, signed
    as the provider signs them, and drive its hosted checkout page. They may
    keep state in a fake of the provider's service (so that a lookup of a
    payment the site has not seen yet finds it).
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
        """``event`` as a correctly signed delivery with a fresh delivery id."""

    @abc.abstractmethod
    def ignored_delivery(self, order: Order) -> Delivery:
        """A correctly signed delivery of an event type the provider does not handle."""

    @abc.abstractmethod
    def forgeries(self, event: ContractEvent) -> dict[str, Delivery]:
        """Deliveries of ``event`` that must be refused, by what is wrong with them.

        Include at least: signed with another secret, body changed after
        signing, signature missing, and timestamps outside the tolerance.
        """

    @abc.abstractmethod
    def assert_hosted_checkout(self, location: str, order: Order) -> None:
        """Assert that the checkout redirect ``location`` is ``order``'s hosted page."""

    @abc.abstractmethod
    def pay(self, session: requests.Session, location: str, *, site_url: str) -> None:
        """Pay at the hosted page ``location`` as the buyer whose ``session`` this is.

        The provider (or its fake) must then deliver its webhook over HTTP to
        the live server at ``site_url``; the kit waits for the order to be paid.
        """


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


class PaymentProviderContract:
    """The behaviour every payment provider must show. Subclass it; provide ``harness``."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.django_db]

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
        url = live_server.url + reverse("marketplace:checkout", kwargs={"slug": product.slug})
        form = session.get(url)
        assert form.status_code == 200
        fields = set(re.findall(r'name="([a-z]+)"', form.text)) & set(harness.billing)
        response = session.post(url, allow_redirects=False, headers={"Referer": url}, data={
            **{name: harness.billing[name] for name in fields},
            "csrfmiddlewaretoken": csrf_token(form.text),
        })
        assert response.status_code == 302, response.text[:500]
        order = Order.objects.get(buyer=buyer, product=product)
        harness.assert_hosted_checkout(response.headers["Location"], order)

        harness.pay(session, response.headers["Location"], site_url=live_server.url)

        wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID,
                   what="the provider's webhook to pay the order")
        assert PurchasedProduct.objects.filter(order=order).count() == 1
        landing = session.get(live_server.url + reverse("marketplace:payment_success"),
                              params={"order": str(order.reference)})
        assert landing.url.endswith(reverse("marketplace:my_products"))
        assert product.title in landing.text

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
        kinds = (EventKind.PAYMENT_PROCESSING, EventKind.PAYMENT_FAILED,
                 EventKind.PAYMENT_SUCCEEDED, EventKind.REFUND_SUCCEEDED)
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
