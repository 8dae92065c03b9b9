"""A stateful fake of Dodo Payments, spoken to over HTTP, for tests.

:class:`FakeDodo` is a real HTTP server on a free loopback port. Point the
plugin (and so the official SDK) at it with ``BASE_URL``::

    fake = FakeDodo().start()
    settings.MARKETPLACE["payments_dodo"] = {
        "API_KEY": fake.api_key, "WEBHOOK_SECRETS": [fake.webhook_secret],
        "ENVIRONMENT": "test_mode", "BASE_URL": fake.url,
    }
    fake.webhook_url = live_server.url + reverse("marketplace:payment_webhook",
                                                 kwargs={"provider": "dodo"})

It serves, with bearer-token auth and JSON shaped like Dodo's OpenAPI
description:

- ``POST /checkouts``, ``GET /checkouts/{id}``
- ``POST /products``, ``GET /products/{id}``, ``PATCH /products/{id}``
- ``GET /payments/{id}``
- ``POST /discounts``, ``GET``/``PATCH``/``DELETE /discounts/{discount_id}``
  (percentage in basis points or flat per currency option, ``restricted_to``,
  ``usage_limit``, ``starts_at``/``expires_at``; a deleted one is soft-deleted:
  404 afterwards). A checkout session's ``discount_codes`` (or the deprecated
  ``discount_code``) is checked as Dodo does and lowers what the session
  charges (:meth:`FakeDodo.checkout_amount`); a paid one counts in ``times_used``
- ``GET /invoices/payments/{payment_id}``: the invoice of a succeeded payment,
  a small one-page PDF (:func:`invoice_pdf`) sent as ``application/pdf``;
  404 (JSON) for an unknown payment or one that did not succeed. Served with
  the API key, as for a business that asks for a credential on its invoice
  links (the plugin always sends it)

and, without auth, the hosted checkout page a browser sees:
``GET /checkout/{session_id}`` (the order with **Pay** and **Fail** buttons),
whose buttons settle the payment, send the webhooks and redirect to the
session's ``return_url`` with ``payment_id`` and ``status`` added, as Dodo does.

Webhooks are signed with Standard Webhooks (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) by the ``standardwebhooks``
library and POSTed to :attr:`FakeDodo.webhook_url` from a background thread.
:class:`WebhookMode` sets duplicates and retries; :meth:`FakeDodo.hold_webhooks`
and :meth:`FakeDodo.release_webhooks` deliver out of order;
:meth:`FakeDodo.fail_next` makes the API answer 429 or 5xx (or any status).
Every API exchange is kept in :attr:`FakeDodo.exchanges` (the plugin's tests
validate them against Dodo's OpenAPI description); a PDF answer is kept as
``bytes``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import itertools
import json
import random
import re
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from dodopayments.types.country_code import CountryCode
from dodopayments.types.currency import Currency
from standardwebhooks.webhooks import Webhook

from marketplace_core.money import to_decimal

BUSINESS_ID = "bus_fake0business"
BRAND_ID = "bus_fake0business"
CURRENCIES = frozenset(get_args(Currency))
#: What the fake sells to: every code the SDK knows but a few a payment service
#: typically cannot (sanctions), so a narrowed country list shows.
UNSUPPORTED_COUNTRIES = frozenset({"CU", "IR", "KP", "SY"})
SUPPORTED_COUNTRIES = tuple(sorted(set(get_args(CountryCode)) - UNSUPPORTED_COUNTRIES))
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """An id shaped like Dodo's (``pay_…``, ``pdt_…``, ``cks_…``)."""
    return f"{prefix}_{next(_ids):04d}{secrets.token_hex(8)}"


def now_iso() -> str:
    return dt.datetime.now(tz=dt.UTC).isoformat().replace("+00:00", "Z")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Exchange:
    """One API request the fake answered (the hosted page is not recorded)."""

    method: str
    #: The route as in the OpenAPI description, e.g. ``"/products/{id}"``.
    route: str
    path: str
    request: Any
    status: int
    response: Any


@dataclass
class WebhookMode:
    """How webhooks travel.

    ``copies``: each message is sent this many times (same ``webhook-id``), as
    an at-least-once sender does. ``max_attempts``: a message answered with a
    non-2xx status (or not answered) is sent again, re-signed with a fresh
    timestamp, up to this many times, ``retry_delay`` seconds apart.
    """

    copies: int = 1
    max_attempts: int = 5
    retry_delay: float = 0.05


@dataclass
class WebhookRecord:
    """A message the fake sent, with the answer to every attempt (status or error)."""

    msg_id: str
    event_type: str
    body: bytes
    attempts: list[int | str] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(isinstance(a, int) and 200 <= a < 300 for a in self.attempts)


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    body: dict[str, Any]
    #: Carry the request out first, then answer ``status`` (the answer is lost).
    after: bool = False


class FakeDodo:
    """The fake Dodo Payments server; ``start()`` it, ``stop()`` it, ``reset()`` between tests."""

    def __init__(self, *, port: int = 0, api_key: str | None = None,
                 webhook_secret: str | None = None) -> None:
        """A fake on ``port`` (0: any free one) accepting ``api_key`` and signing
        with ``webhook_secret`` (both random unless given, e.g. from a site's
        environment)."""
        self.api_key = api_key or "fake_dodo_" + secrets.token_urlsafe(16)
        self._initial_secret = webhook_secret or new_secret()
        self.webhook_secret = self._initial_secret
        self._port = port
        self.webhook_url: str | None = None
        self.webhook_mode = WebhookMode()
        self.exchanges: list[Exchange] = []
        self.webhooks: list[WebhookRecord] = []
        self.products: dict[str, dict[str, Any]] = {}
        self.checkouts: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        #: Discounts by id (a deleted one stays, with ``deleted`` set: Dodo soft-deletes).
        self.discounts: dict[str, dict[str, Any]] = {}
        #: What ``GET /checkout/supported_countries`` answers (tests may change it).
        self.supported_countries: list[str] = list(SUPPORTED_COUNTRIES)
        self._failures: list[_Failure] = []
        self._lock = threading.RLock()
        self._outbox: deque[WebhookRecord] = deque()
        self._held: list[WebhookRecord] | None = None
        self._wakeup = threading.Condition(self._lock)
        self._sending = 0
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # --- life cycle ---------------------------------------------------------

    def start(self) -> FakeDodo:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        server.socket.listen(128)
        self._server = server
        self._threads = [
            threading.Thread(target=server.serve_forever, name="fake-dodo-http", daemon=True),
            threading.Thread(target=self._send_loop, name="fake-dodo-webhooks", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5):
            pass
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wakeup.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(10)

    def __enter__(self) -> FakeDodo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget everything (after waiting for webhooks in flight); keep key, secret and URL."""
        self.wait_for_webhooks()
        with self._lock:
            self.webhook_secret = self._initial_secret
            self.webhook_url = None
            self.webhook_mode = WebhookMode()
            for store in (self.exchanges, self.webhooks, self._failures, self._outbox):
                store.clear()
            for table in (self.products, self.checkouts, self.payments, self.refunds,
                          self.disputes, self.discounts):
                table.clear()
            self.supported_countries = list(SUPPORTED_COUNTRIES)
            self._held = None

    # --- failure injection --------------------------------------------------

    def fail_next(self, method: str, path: str, status: int, *, times: int = 1,
                  message: str = "", after_acting: bool = False) -> None:
        """Answer the next ``times`` ``method`` requests to ``path`` with ``status``.

        ``path`` is a regular expression matched against the start of the path
        (``"/products"`` matches ``/products`` and ``/products/pdt_1``). With
        ``after_acting`` the request is carried out first (a refund created, its
        webhook sent) and only its answer fails, as when a gateway times out
        after Dodo acted: the client cannot tell that it happened.
        """
        with self._lock:
            self._failures.append(_Failure(
                method=method.upper(), pattern=re.compile(path), status=status,
                remaining=times,
                body={"code": _STATUS_CODES.get(status, "ERROR"),
                      "message": message or f"Injected failure {status}"},
                after=after_acting,
            ))

    def _injected(self, method: str, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.remaining > 0 and \
                        failure.pattern.match(path):
                    failure.remaining -= 1
                    return failure
        return None

    # --- state the tests set up or inspect ------------------------------------

    def checkout_of(self, order_reference: str) -> dict[str, Any]:
        """The checkout session created for an order (by its metadata)."""
        with self._lock:
            found = [c for c in self.checkouts.values()
                     if c["metadata"].get("order_reference") == order_reference]
        assert len(found) == 1, f"{len(found)} checkout sessions for order {order_reference}"
        return found[0]

    def record_payment(self, *, payment_id: str | None = None, amount: int, currency: str,
                       metadata: dict[str, Any], status: str = "succeeded",
                       checkout_id: str | None = None, product_id: str | None = None,
                       customer: dict[str, str] | None = None,
                       billing: dict[str, str] | None = None) -> dict[str, Any]:
        """Create (or update) a payment as Dodo holds it (``PaymentResponse``)."""
        with self._lock:
            payment_id = payment_id or new_id("pay")
            existing = self.payments.get(payment_id)
            payment = existing or {
                "payment_id": payment_id,
                "business_id": BUSINESS_ID,
                "brand_id": BRAND_ID,
                "created_at": now_iso(),
                "customer": {"customer_id": new_id("cus"), "name": "Test Buyer",
                             "email": "buyer@example.com", **(customer or {})},
                "billing": billing or {"country": "US"},
                "metadata": dict(metadata),
                "disputes": [],
                "refunds": [],
                "digital_products_delivered": False,
                "is_update_payment_method": False,
                "retry_attempt": 0,
                "payment_provider": "dodo",
                "payment_method": "card",
                "card_last_four": "4242",
                "card_network": "VISA",
                "checkout_session_id": checkout_id,
                "product_cart": [{"product_id": product_id, "quantity": 1}] if product_id
                else None,
                "error_code": None,
                "error_message": None,
            }
            payment.update({
                "total_amount": amount,
                "currency": currency,
                "settlement_amount": amount,
                "settlement_currency": currency if currency in CURRENCIES else "USD",
                "status": status,
                "updated_at": now_iso(),
            })
            if status == "failed":
                payment["error_code"] = "CARD_DECLINED"
                payment["error_message"] = "The card was declined."
            self.payments[payment_id] = payment
            return payment

    def payment_event(self, event_type: str, payment: dict[str, Any]) -> dict[str, Any]:
        return self._event(event_type, payment)

    def refund_payload(self, payment_id: str, *, amount: int | None = None,
                       currency: str | None = None, refund_id: str | None = None,
                       reason: str = "") -> dict[str, Any]:
        """A refund of a payment as Dodo holds it (``RefundResponse``), recorded."""
        with self._lock:
            payment = self.payments[payment_id]
            refund = {
                "refund_id": refund_id or new_id("ref"),
                "payment_id": payment_id,
                "business_id": BUSINESS_ID,
                "brand_id": BRAND_ID,
                "status": "succeeded",
                "created_at": now_iso(),
                "is_partial": amount is not None and amount < payment["total_amount"],
                "metadata": {},
                "customer": payment["customer"],
                "amount": payment["total_amount"] if amount is None else amount,
                "currency": currency or payment["currency"],
                "reason": reason or None,
            }
            self.refunds[refund["refund_id"]] = refund
            payment["refunds"].append({k: refund[k] for k in (
                "refund_id", "payment_id", "business_id", "status", "created_at",
                "is_partial", "amount", "currency", "reason")})
            payment["refund_status"] = "partial" if refund["is_partial"] else "full"
            return refund

    def dispute_payload(self, payment_id: str, *, status: str = "dispute_opened",
                        dispute_id: str | None = None, reason: str = "fraudulent",
                        amount: int | None = None) -> dict[str, Any]:
        """A dispute of a payment (``DisputeResponse``), recorded; ``amount`` is a string."""
        with self._lock:
            payment = self.payments[payment_id]
            dispute_id = dispute_id or new_id("dp")
            dispute = {
                "dispute_id": dispute_id,
                "payment_id": payment_id,
                "business_id": BUSINESS_ID,
                "amount": str(payment["total_amount"] if amount is None else amount),
                "currency": payment["currency"],
                "dispute_status": status,
                "dispute_stage": "dispute",
                "created_at": now_iso(),
                "reason": reason,
                "remarks": None,
                "is_resolved_by_rdr": None,
            }
            self.disputes[dispute_id] = dispute
            payment["disputes"] = [d for d in payment["disputes"]
                                   if d["dispute_id"] != dispute_id] + [dispute]
            return dispute

    def refund(self, payment_id: str, *, amount: int | None = None, reason: str = "") -> str:
        """Refund a payment and send ``refund.succeeded``; returns the refund id."""
        refund = self.refund_payload(payment_id, amount=amount, reason=reason)
        self.send_event("refund.succeeded", refund)
        return str(refund["refund_id"])

    def dispute(self, payment_id: str, *, status: str = "dispute_opened",
                dispute_id: str | None = None, reason: str = "fraudulent") -> str:
        """Open or move a dispute and send ``dispute.<status>``; returns the dispute id."""
        dispute = self.dispute_payload(payment_id, status=status, dispute_id=dispute_id,
                                       reason=reason)
        self.send_event(f"dispute.{status.removeprefix('dispute_')}", dispute)
        return str(dispute["dispute_id"])

    def settle_checkout(self, session_id: str, outcome: Literal["pay", "fail"]) -> dict[str, Any]:
        """What pressing Pay or Fail on the hosted page does: the payment and its webhooks."""
        with self._lock:
            session = self.checkouts[session_id]
            product = self.products[session["product_cart"][0]["product_id"]]
            price = product["price"]
            amount = self.checkout_amount(session_id)
            payment = self.record_payment(
                payment_id=session.get("payment_id"),
                amount=amount, currency=price["currency"],
                metadata=session["metadata"], status="processing", checkout_id=session_id,
                product_id=product["product_id"],
                customer={k: v for k, v in (session.get("customer") or {}).items()
                          if k in ("name", "email")},
                billing=session.get("billing_address") or {"country": "US"},
            )
            session["payment_id"] = payment["payment_id"]
            self.send_event("payment.processing", payment)
            status = "succeeded" if outcome == "pay" else "failed"
            payment = self.record_payment(payment_id=payment["payment_id"],
                                          amount=amount, currency=price["currency"],
                                          metadata=session["metadata"], status=status)
            if status == "succeeded" and session.get("discount_id"):
                self.discounts[session["discount_id"]]["times_used"] += 1
            self.send_event(f"payment.{status}", payment)
            return payment

    # --- webhooks -----------------------------------------------------------

    def _event(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        payload_type = {"payment": "Payment", "refund": "Refund", "dispute": "Dispute"}.get(
            event_type.split(".", 1)[0], "Payment")
        return {"business_id": BUSINESS_ID, "type": event_type, "timestamp": now_iso(),
                "data": {**json.loads(json.dumps(data)), "payload_type": payload_type}}

    def send_event(self, event_type: str, data: dict[str, Any]) -> WebhookRecord:
        """Queue a signed delivery of ``{"type": event_type, "data": data}`` to ``webhook_url``."""
        body = json.dumps(self._event(event_type, data)).encode()
        record = WebhookRecord(msg_id=new_id("msg"), event_type=event_type, body=body)
        with self._lock:
            self.webhooks.append(record)
            if self._held is not None:
                self._held.append(record)
            else:
                self._outbox.extend([record] * max(1, self.webhook_mode.copies))
                self._wakeup.notify_all()
        return record

    def hold_webhooks(self) -> None:
        """Keep new messages back until :meth:`release_webhooks`."""
        with self._lock:
            if self._held is None:
                self._held = []

    def release_webhooks(self, order: Literal["sent", "reverse", "shuffle"] = "reverse",
                         *, seed: int = 0) -> list[str]:
        """Send the held messages in ``order``; returns their event types in sending order."""
        with self._lock:
            held, self._held = self._held or [], None
            if order == "reverse":
                held.reverse()
            elif order == "shuffle":
                random.Random(seed).shuffle(held)
            for record in held:
                self._outbox.extend([record] * max(1, self.webhook_mode.copies))
            self._wakeup.notify_all()
            return [r.event_type for r in held]

    def wait_for_webhooks(self, timeout: float = 30.0) -> None:
        """Block until every queued message was delivered or given up on."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._outbox or self._sending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("fake Dodo still has webhooks to send")
                self._wakeup.wait(remaining)

    def sign(self, msg_id: str, body: bytes, *, secret: str | None = None,
             timestamp: dt.datetime | None = None) -> dict[str, str]:
        """Standard Webhooks headers for ``body``, as Dodo sends them."""
        when = timestamp or dt.datetime.now(tz=dt.UTC)
        signature = Webhook(secret or self.webhook_secret).sign(msg_id, when, body.decode())
        return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": signature}

    def _send_loop(self) -> None:
        with httpx.Client(timeout=30) as http:
            while True:
                with self._lock:
                    while not self._outbox and not self._stopping:
                        self._wakeup.wait()
                    if self._stopping:
                        return
                    record = self._outbox.popleft()
                    self._sending += 1
                    url, mode = self.webhook_url, self.webhook_mode
                try:
                    self._deliver(http, record, url, mode)
                finally:
                    with self._lock:
                        self._sending -= 1
                        self._wakeup.notify_all()

    def _deliver(self, http: httpx.Client, record: WebhookRecord, url: str | None,
                 mode: WebhookMode) -> None:
        for attempt in range(max(1, mode.max_attempts)):
            if attempt:
                time.sleep(mode.retry_delay)
            if url is None:
                record.attempts.append("no webhook_url")
                continue
            # A connection per delivery, as from Dodo's many senders; a kept-alive one
            # would also keep a live server's thread (and its database session) open.
            headers = {**self.sign(record.msg_id, record.body), "Connection": "close",
                       "Content-Type": "application/json", "User-Agent": "fake-dodo/1"}
            try:
                status = http.post(url, content=record.body, headers=headers).status_code
            except httpx.HTTPError as exc:
                record.attempts.append(type(exc).__name__)
                continue
            record.attempts.append(status)
            if 200 <= status < 300:
                return

    # --- the API ------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, str, Any]]:
        return [
            ("POST", r"/checkouts", "/checkouts", self._create_checkout),
            ("GET", r"/checkouts/([^/]+)", "/checkouts/{id}", self._get_checkout),
            ("POST", r"/products", "/products", self._create_product),
            ("GET", r"/products/([^/]+)", "/products/{id}", self._get_product),
            ("PATCH", r"/products/([^/]+)", "/products/{id}", self._patch_product),
            ("GET", r"/payments/([^/]+)", "/payments/{payment_id}", self._get_payment),
            ("POST", r"/refunds", "/refunds", self._create_refund),
            ("GET", r"/refunds/([^/]+)", "/refunds/{refund_id}", self._get_refund),
            ("GET", r"/invoices/payments/([^/]+)", "/invoices/payments/{payment_id}",
             self._get_payment_invoice),
            ("GET", r"/checkout/supported_countries", "/checkout/supported_countries",
             self._supported_countries),
            *self._discount_routes(),
        ]

    def route_of(self, method: str, path: str) -> str:
        """The OpenAPI route (``/products/{id}``) a request goes to, or its path."""
        for verb, pattern, route, _ in self._routes():
            if verb == method and re.fullmatch(pattern, path):
                return route
        return path

    def handle_api(self, method: str, path: str, body: Any) -> tuple[str, int, Any]:
        """(route, status, response JSON) for one authenticated API request."""
        for verb, pattern, route, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                with self._lock:
                    status, response = handler(body, *match.groups())
                return route, status, response
        return path, 404, {"code": "NOT_FOUND", "message": f"No route {method} {path}"}

    def _supported_countries(self, body: Any) -> tuple[int, Any]:
        return 200, list(self.supported_countries)

    def _create_checkout(self, body: Any) -> tuple[int, Any]:
        cart = body.get("product_cart") if isinstance(body, dict) else None
        if not isinstance(cart, list) or len(cart) != 1:
            return 422, _error("product_cart must hold exactly one product in this fake")
        item = cart[0]
        if item.get("product_id") not in self.products:
            return 422, _error(f"Product {item.get('product_id')} does not exist")
        if item.get("quantity") != 1:
            return 422, _error("quantity must be 1 in this fake")
        discount, problem = self._checkout_discount(body, self.products[item["product_id"]])
        if problem:
            return 422, _error(problem)
        session_id = new_id("cks")
        self.checkouts[session_id] = {
            "id": session_id,
            "created_at": now_iso(),
            "product_cart": cart,
            "metadata": body.get("metadata") or {},
            "customer": body.get("customer") or {},
            "billing_address": body.get("billing_address"),
            "return_url": body.get("return_url"),
            "cancel_url": body.get("cancel_url"),
            "payment_id": None,
            "discount_id": discount["discount_id"] if discount else None,
        }
        return 200, {"session_id": session_id,
                     "checkout_url": f"{self.url}/checkout/{session_id}"}

    def _get_checkout(self, body: Any, session_id: str) -> tuple[int, Any]:
        session = self.checkouts.get(session_id)
        if session is None:
            return 404, _error("Checkout session not found", "NOT_FOUND")
        payment = self.payments.get(session["payment_id"] or "")
        customer = session.get("customer") or {}
        return 200, {
            "id": session_id,
            "created_at": session["created_at"],
            "customer_email": customer.get("email"),
            "customer_name": customer.get("name"),
            "payment_id": session["payment_id"],
            "payment_status": payment["status"] if payment else None,
        }

    def _product_errors(self, body: Any, *, partial: bool) -> str | None:
        if not isinstance(body, dict):
            return "body must be an object"
        if not partial and not (isinstance(body.get("name"), str) and body["name"]):
            return "name is required"
        price = body.get("price")
        if price is None and partial:
            return None
        if not isinstance(price, dict) or price.get("type") != "one_time_price":
            return "price must be a one_time_price"
        if not isinstance(price.get("price"), int) or price["price"] < 0:
            return "price.price must be a non-negative integer"
        if price.get("currency") not in CURRENCIES:
            return f"Unsupported currency {price.get('currency')!r}"
        return None

    def _create_product(self, body: Any) -> tuple[int, Any]:
        problem = self._product_errors(body, partial=False)
        if problem:
            return 422, _error(problem)
        product_id = new_id("pdt")
        stamp = now_iso()
        self.products[product_id] = {
            "product_id": product_id,
            "business_id": BUSINESS_ID,
            "brand_id": BRAND_ID,
            "created_at": stamp,
            "updated_at": stamp,
            "is_recurring": False,
            "license_key_enabled": False,
            "tax_category": body.get("tax_category", "digital_products"),
            "price": dict(body["price"]),
            "metadata": body.get("metadata") or {},
            "credit_entitlements": [],
            "entitlements": [],
            "name": body["name"],
            "description": body.get("description"),
        }
        return 200, self.products[product_id]

    def _get_product(self, body: Any, product_id: str) -> tuple[int, Any]:
        product = self.products.get(product_id)
        if product is None:
            return 404, _error("Product not found", "NOT_FOUND")
        return 200, product

    def _patch_product(self, body: Any, product_id: str) -> tuple[int, Any]:
        product = self.products.get(product_id)
        if product is None:
            return 404, _error("Product not found", "NOT_FOUND")
        problem = self._product_errors(body, partial=True)
        if problem:
            return 422, _error(problem)
        for key in ("name", "description", "price", "tax_category", "metadata"):
            if body.get(key) is not None:
                product[key] = body[key]
        product["updated_at"] = now_iso()
        return 200, None

    def _get_payment(self, body: Any, payment_id: str) -> tuple[int, Any]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return 404, _error("Payment not found", "NOT_FOUND")
        return 200, payment

    def _get_refund(self, body: Any, refund_id: str) -> tuple[int, Any]:
        """``GET /refunds/{refund_id}``: the ``RefundResponse``, metadata included."""
        refund = self.refunds.get(refund_id)
        if refund is None:
            return 404, _error("Refund not found", "NOT_FOUND")
        return 200, refund

    def _create_refund(self, body: Any) -> tuple[int, Any]:
        """``POST /refunds`` (``CreateRefundRequest``): validated as Dodo does, answered
        with the ``RefundResponse`` (status ``pending``); then ``refund.succeeded`` is sent.

        The whole payment without ``items``; otherwise items of the payment's
        cart, each its whole price or ``amount``. More than is left is refused.
        """
        if not isinstance(body, dict):
            return 422, _error("The body must be a CreateRefundRequest object")
        payment_id = body.get("payment_id")
        if not isinstance(payment_id, str) or not payment_id:
            return 422, _error("payment_id is required")
        reason = body.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 3000):
            return 422, _error("reason must be a string of at most 3000 characters")
        metadata = body.get("metadata", {})
        if not isinstance(metadata, dict) or not all(
                isinstance(v, str | int | float | bool) for v in metadata.values()):
            return 422, _error("metadata must map keys to strings, numbers or booleans")
        payment = self.payments.get(payment_id)
        if payment is None:
            return 404, _error("Payment not found", "NOT_FOUND")
        if payment["status"] != "succeeded":
            return 422, _error("Only a succeeded payment can be refunded")
        left = payment["total_amount"] - sum(
            r["amount"] or 0 for r in payment["refunds"] if r["status"] != "failed")
        amount = self._refund_items(body.get("items"), payment)
        if isinstance(amount, str):
            return 422, _error(amount)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            return 422, _error(f"Refund amount {amount} exceeds the {left} left to refund")
        refund = self.refund_payload(payment_id, amount=amount, reason=reason or "")
        refund["metadata"] = dict(metadata)
        self.send_event("refund.succeeded", refund)
        return 200, {**refund, "status": "pending"}

    @staticmethod
    def _refund_items(items: Any, payment: dict[str, Any]) -> int | str | None:
        """The amount ``items`` refund (``None``: no items, the rest), or what is wrong."""
        if items is None:
            return None
        if not isinstance(items, list) or not items:
            return "items must be a non-empty array of PartialRefundItem"
        cart = {item["product_id"] for item in payment.get("product_cart") or []}
        total = 0
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("item_id"), str):
                return "each item needs an item_id"
            if item["item_id"] not in cart:
                return f"Item {item['item_id']} is not part of payment {payment['payment_id']}"
            value = item.get("amount")
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                return "item amount must be an integer"
            if not isinstance(item.get("tax_inclusive", True), bool):
                return "tax_inclusive must be a boolean"
            total += payment["total_amount"] if value is None else value  # one-item carts
        return total

    def _get_payment_invoice(self, body: Any, payment_id: str) -> tuple[int, Any]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return 404, _error("Payment not found", "NOT_FOUND")
        if payment["status"] != "succeeded":
            return 404, _error("No invoice for a payment that did not succeed", "NOT_FOUND")
        return 200, invoice_pdf(payment)

    # --- discounts -------------------------------------------------------------

    def _discount_routes(self) -> list[tuple[str, str, str, Any]]:
        return [
            ("POST", r"/discounts", "/discounts", self._create_discount),
            ("GET", r"/discounts/([^/]+)", "/discounts/{discount_id}", self._get_discount),
            ("PATCH", r"/discounts/([^/]+)", "/discounts/{discount_id}", self._patch_discount),
            ("DELETE", r"/discounts/([^/]+)", "/discounts/{discount_id}",
             self._delete_discount),
        ]

    def checkout_amount(self, session_id: str) -> int:
        """What the checkout session charges: its product's price less its discount.

        A percentage (basis points) takes the amount off rounded down to a whole
        minor unit; a flat discount takes its currency option's amount, down to
        zero at most.
        """
        with self._lock:
            session = self.checkouts[session_id]
            price = int(self.products[session["product_cart"][0]["product_id"]]["price"]["price"])
            discount = self.discounts.get(session.get("discount_id") or "")
        if discount is None:
            return price
        if discount["type"] == "percentage":
            return price - price * int(discount["amount"]) // 10000
        return max(price - int(discount["currency_options"][0]["max_amount_possible"]), 0)

    def _checkout_discount(self, body: dict[str, Any], product: dict[str, Any]
                           ) -> tuple[dict[str, Any] | None, str | None]:
        """The discount a checkout names (``discount_codes`` or the deprecated
        ``discount_code``), or why Dodo refuses it."""
        codes = body.get("discount_codes") or ([body["discount_code"]]
                                               if body.get("discount_code") else [])
        if body.get("discount_codes") and body.get("discount_code"):
            return None, "discount_code cannot be used together with discount_codes"
        if not codes:
            return None, None
        if len(codes) != 1:
            return None, "this fake applies one discount code"
        found = [d for d in self.discounts.values()
                 if d["code"] == str(codes[0]).upper() and not d.get("deleted")]
        if not found:
            return None, f"Discount code {codes[0]} does not exist"
        discount = found[0]
        now = dt.datetime.now(tz=dt.UTC)
        if discount["restricted_to"] and product["product_id"] not in discount["restricted_to"]:
            return None, "Discount code is not valid for this product"
        if discount.get("starts_at") and now < _moment(discount["starts_at"]):
            return None, "Discount code is not active yet"
        if discount.get("expires_at") and now >= _moment(discount["expires_at"]):
            return None, "Discount code has expired"
        if discount.get("usage_limit") is not None and (
                discount["times_used"] >= discount["usage_limit"]):
            return None, "Discount code usage limit reached"
        if discount["type"] == "flat" and (
                discount["currency_options"][0]["currency"] != product["price"]["currency"]):
            return None, "Discount code is not valid in this currency"
        return discount, None

    def _discount_errors(self, body: Any, *, partial: bool) -> str | None:
        if not isinstance(body, dict):
            return "body must be an object"
        kind = body.get("type")
        if not partial and kind not in ("percentage", "flat"):
            return "type must be percentage or flat"
        amount = body.get("amount")
        if (not partial or amount is not None) and (not isinstance(amount, int) or amount < 1):
            return "amount must be at least 1"
        if kind == "percentage" and amount is not None and amount > 10000:
            return "a percentage is at most 10000 basis points"
        options = body.get("currency_options")
        if kind == "flat" and not (isinstance(options, list) and len(options) == 1
                                   and options[0].get("currency") in CURRENCIES
                                   and (options[0].get("max_amount_possible") or 0) > 0):
            return "a flat discount needs one currency option with max_amount_possible > 0"
        code = body.get("code")
        if code is not None and not (isinstance(code, str) and 3 <= len(code) <= 16):
            return "code must be 3 to 16 characters"
        limit = body.get("usage_limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            return "usage_limit must be at least 1"
        unknown = [p for p in body.get("restricted_to") or [] if p not in self.products]
        if unknown:
            return f"Unknown products in restricted_to: {', '.join(unknown)}"
        return None

    def _create_discount(self, body: Any) -> tuple[int, Any]:
        problem = self._discount_errors(body, partial=False)
        if problem:
            return 422, _error(problem)
        code = str(body.get("code") or secrets.token_hex(8)).upper()
        if any(d["code"] == code and not d.get("deleted") for d in self.discounts.values()):
            return 422, _error(f"Discount code {code} already exists")
        discount_id = new_id("dsc")
        self.discounts[discount_id] = {
            "discount_id": discount_id, "business_id": BUSINESS_ID, "code": code,
            "created_at": now_iso(), "times_used": 0, "preserve_on_plan_change": False,
            "customer_eligibility": "any", "name": body.get("name"),
            "per_customer_usage_limit": None, "subscription_cycles": None,
        }
        self._apply_discount_fields(self.discounts[discount_id], body)
        return 200, self._discount_answer(discount_id)

    def _apply_discount_fields(self, discount: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("type", "amount", "usage_limit", "starts_at", "expires_at", "metadata",
                    "restricted_to", "currency_options"):
            if key in body or key not in discount:
                discount[key] = body.get(key)
        discount["restricted_to"] = list(discount["restricted_to"] or [])
        discount["metadata"] = dict(discount["metadata"] or {})
        discount["currency_options"] = [
            {"currency": o["currency"], "is_default": bool(o.get("is_default", False)),
             "max_amount_possible": o.get("max_amount_possible"),
             "minimum_subtotal": int(o.get("minimum_subtotal") or 0)}
            for o in discount["currency_options"] or []]

    def _discount_answer(self, discount_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.discounts[discount_id].items() if k != "deleted"}

    def _live_discount(self, discount_id: str) -> dict[str, Any] | None:
        discount = self.discounts.get(discount_id)
        return None if discount is None or discount.get("deleted") else discount

    def _get_discount(self, body: Any, discount_id: str) -> tuple[int, Any]:
        if self._live_discount(discount_id) is None:
            return 404, _error("Discount not found", "NOT_FOUND")
        return 200, self._discount_answer(discount_id)

    def _patch_discount(self, body: Any, discount_id: str) -> tuple[int, Any]:
        discount = self._live_discount(discount_id)
        if discount is None:
            return 404, _error("Discount not found or soft-deleted", "NOT_FOUND")
        problem = self._discount_errors({"type": discount["type"], **(body or {})}, partial=True)
        if problem:
            return 422, _error(problem)
        self._apply_discount_fields(discount, body)
        if body.get("code"):
            discount["code"] = str(body["code"]).upper()
        return 200, self._discount_answer(discount_id)

    def _delete_discount(self, body: Any, discount_id: str) -> tuple[int, Any]:
        discount = self._live_discount(discount_id)
        if discount is None:
            return 404, _error("Discount not found or already deleted", "NOT_FOUND")
        discount["deleted"] = True
        return 204, None

    # --- the hosted checkout page ---------------------------------------------

    def checkout_page(self, session_id: str) -> str | None:
        with self._lock:
            session = self.checkouts.get(session_id)
            if session is None:
                return None
            product = self.products[session["product_cart"][0]["product_id"]]
        price = product["price"]
        amount = _amount(self.checkout_amount(session_id), str(price["currency"]))
        settled = session["payment_id"] is not None
        buttons = "<p>This checkout is complete.</p>" if settled else (
            f'<form method="post" action="/checkout/{session_id}/pay">'
            '<button type="submit">Pay</button></form>'
            f'<form method="post" action="/checkout/{session_id}/fail">'
            '<button type="submit">Fail</button></form>'
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
            "<title>Dodo Payments (test mode): Checkout</title></head><body>"
            "<h1>Dodo Payments: test checkout</h1>"
            f"<p class='product'>{html.escape(str(product.get('name')))}</p>"
            f"<p class='amount'>{html.escape(amount)}</p>"
            f"{buttons}</body></html>"
        )

    def return_url(self, session_id: str, payment: dict[str, Any]) -> str:
        session = self.checkouts[session_id]
        parts = urlsplit(session["return_url"] or self.url)
        query = [*parse_qsl(parts.query), ("payment_id", payment["payment_id"]),
                 ("status", payment["status"])]
        return urlunsplit(parts._replace(query=urlencode(query)))


_STATUS_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND",
                 422: "UNPROCESSABLE_ENTITY", 429: "TOO_MANY_REQUESTS",
                 500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE"}


def _moment(stamp: str) -> dt.datetime:
    """``stamp`` (ISO 8601 with an offset or ``Z``) as an aware datetime."""
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _error(message: str, code: str = "UNPROCESSABLE_ENTITY") -> dict[str, str]:
    return {"code": code, "message": message}


def invoice_pdf(payment: dict[str, Any]) -> bytes:
    """A one-page PDF invoice for ``payment`` (``PaymentResponse``), as the fake serves it.

    A well-formed PDF 1.4 file (header, objects, cross-reference table with
    exact offsets, trailer) whose page says "Invoice", the payment id and the
    amount, so a test can find them in the bytes.
    """
    amount = _amount(int(payment["total_amount"]), str(payment["currency"]))
    lines = ["Invoice", f"Payment {payment['payment_id']}", f"Total {amount}"]
    text = " ".join(
        f"BT /F1 14 Tf 72 {720 - 24 * i} Td ({_pdf_text(line)}) Tj ET"
        for i, line in enumerate(lines)
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _amount(minor: int, currency: str) -> str:
    """``"19.99 EUR"``, ``"1500 JPY"``: how the fake's pages write an amount, whatever
    the site's language (they stand for Dodo's, not the site's)."""
    return f"{to_decimal(minor, currency)} {currency}"


def _pdf_text(value: str) -> str:
    """``value`` as the inside of a PDF string literal (Latin-1, parentheses escaped)."""
    safe = value.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeDodo
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read fake.exchanges instead

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        # The hosted page shares its prefix with the API's country list.
        page = (None if path == "/checkout/supported_countries"
                else re.fullmatch(r"/checkout/([^/]+)(?:/(pay|fail))?", path))
        if page:
            self._hosted_page(method, page.group(1), page.group(2))
            return
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                self._json(400, _error("Body is not JSON", "BAD_REQUEST"))
                return
        if self.headers.get("Authorization") != f"Bearer {self.fake.api_key}":
            self._json(401, _error("Invalid API key", "UNAUTHORIZED"))
            return
        failure = self.fake._injected(method, path)
        extra = {}
        if failure is not None:
            if failure.after:
                self.fake.handle_api(method, path, body)
            route, status, response = self.fake.route_of(method, path), failure.status, failure.body
            extra["retry-after-ms"] = "10"  # the SDK's own retries (checkout) wait 10 ms
        else:
            route, status, response = self.fake.handle_api(method, path, body)
        # Recorded before answering: a test reading it after the call sees it.
        with self.fake._lock:
            self.fake.exchanges.append(Exchange(method=method, route=route, path=path,
                                                request=body, status=status,
                                                response=response))
        if isinstance(response, bytes):
            self._send(status, response, "application/pdf", extra)
        else:
            self._json(status, response, extra)

    def _hosted_page(self, method: str, session_id: str, action: str | None) -> None:
        if method == "GET" and action is None:
            page = self.fake.checkout_page(session_id)
            if page is None:
                self._send(404, b"Unknown checkout", "text/plain")
            else:
                self._send(200, page.encode(), "text/html; charset=utf-8")
            return
        if method != "POST" or action is None or session_id not in self.fake.checkouts:
            self._send(404, b"Not found", "text/plain")
            return
        with self.fake._lock:
            already = self.fake.checkouts[session_id]["payment_id"]
            payment = self.fake.payments[already] if already else \
                self.fake.settle_checkout(session_id, "pay" if action == "pay" else "fail")
        self.send_response(303)
        self.send_header("Location", self.fake.return_url(session_id, payment))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self._send(status, data, "application/json", extra)

    def _send(self, status: int, data: bytes, content_type: str,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)
