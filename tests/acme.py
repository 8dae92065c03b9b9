"""Acme Pay: a made-up payment service that does not sign with Standard Webhooks.

Core's tests use it to test the payment provider contract kit itself: a
provider written the way docs/payment-providers.md describes passes the kit
through a plain :class:`~marketplace_core.testing.contracts.ProviderHarness`
(its own signing scheme, no disputes, no "processing" event), and providers
that are subtly wrong fail it (``tests/test_contract_kit.py``).

Acme's wire format:

- ``POST {BASE_URL}/sessions`` with ``{"order", "amount", "currency",
  "return_url"}`` (and optionally a merchant-chosen ``"charge_id"``) answers
  ``{"id": "cs_...", "url": "{BASE_URL}/pay/cs_..."}``: the hosted page, with
  Pay and Decline buttons.
- Webhooks are JSON ``{"id": "evt_...", "type": ..., "data": {...}}`` with
  ``type`` one of ``charge.succeeded``, ``charge.failed``, ``charge.refunded``
  and ``data`` holding ``charge`` (one per attempt), ``order``, ``amount``
  (minor units), ``currency`` (lower case), and ``refund`` for refunds.
- The signature header is ``Acme-Signature: t=<unix time>,v1=<hex>``, the hex
  HMAC-SHA256 of ``"<t>.<body>"`` with the shared secret; five minutes of
  clock skew are tolerated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.request
import uuid
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlencode

import requests
from django.http import HttpRequest
from django.urls import reverse

from marketplace_core.ownership.models import Order
from marketplace_core.payments.providers import (
    CheckoutError,
    CheckoutSession,
    EventKind,
    InvalidWebhookEvent,
    ParsedDelivery,
    PaymentProvider,
    WebhookEvent,
    WebhookVerificationError,
)
from marketplace_core.payments.signing import parse_json
from marketplace_core.testing.contracts import (
    ContractEvent,
    Delivery,
    ProviderHarness,
    change_one_byte,
)
from marketplace_core.testing.http_fakes import LocalHTTPService

SIGNATURE_HEADER = "Acme-Signature"
TOLERANCE = dt.timedelta(minutes=5)

EVENT_KINDS = {
    "charge.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "charge.failed": EventKind.PAYMENT_FAILED,
    "charge.refunded": EventKind.REFUND_SUCCEEDED,
}


def signature(secret: str, body: bytes, *, at: dt.datetime | None = None) -> str:
    """The ``Acme-Signature`` header value for ``body``."""
    t = str(int((at or dt.datetime.now(tz=dt.UTC)).timestamp()))
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(body: bytes, header: str, secret: str) -> None:
    """Raise :class:`WebhookVerificationError` unless ``header`` signs ``body`` now."""
    match = re.fullmatch(r"t=(\d{1,12}),v1=([0-9a-f]{64})", header)
    if match is None:
        raise WebhookVerificationError(f"missing or malformed {SIGNATURE_HEADER} header")
    sent_at = dt.datetime.fromtimestamp(int(match.group(1)), tz=dt.UTC)
    if abs(dt.datetime.now(tz=dt.UTC) - sent_at) > TOLERANCE:
        raise WebhookVerificationError("timestamp outside the tolerance")
    expected = signature(secret, body, at=sent_at).rsplit("v1=", 1)[1]
    if not hmac.compare_digest(expected, match.group(2)):
        raise WebhookVerificationError("signature does not match")


# -------------------------------------------------------------------------
# the provider
# -------------------------------------------------------------------------


class AcmeProvider(PaymentProvider):
    """Acme Pay's hosted checkout and signed webhooks (``MARKETPLACE["acme"]``:
    ``BASE_URL`` and ``WEBHOOK_SECRET``)."""

    identifier = "acme"
    verbose_name = "Acme Pay"
    settings_key = "acme"

    def start_checkout(self, request: HttpRequest, order: Order) -> CheckoutSession:
        success = reverse("marketplace:payment_success") + "?" + urlencode(
            {"order": str(order.reference)})
        try:
            session = requests.post(
                self.settings["BASE_URL"] + "/sessions", timeout=10,
                json=self.session_request(order, request.build_absolute_uri(success)),
            )
            session.raise_for_status()
        except requests.RequestException as exc:
            raise CheckoutError("Acme Pay cannot take payments right now.") from exc
        answer = session.json()
        return CheckoutSession(redirect_url=answer["url"], provider_checkout_id=answer["id"])

    def session_request(self, order: Order, return_url: str) -> dict[str, Any]:
        return {"order": str(order.reference), "amount": order.amount,
                "currency": order.currency.lower(), "return_url": return_url}

    def parse_webhook(self, request: HttpRequest) -> ParsedDelivery:
        verify(request.body, request.headers.get(SIGNATURE_HEADER, ""),
               self.settings["WEBHOOK_SECRET"])
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookVerificationError("body is not UTF-8") from exc
        payload = self.load(text)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise WebhookVerificationError("body is not an Acme event")
        delivery_id, event_type = payload.get("id"), payload.get("type")
        if not isinstance(delivery_id, str) or not isinstance(event_type, str):
            raise WebhookVerificationError("an Acme event has a string 'id' and 'type'")
        return ParsedDelivery(delivery_id, [self.event(event_type, payload["data"])])

    def load(self, text: str) -> Any:
        return parse_json(text)

    def event(self, event_type: str, data: dict[str, Any]) -> WebhookEvent:
        kind = EVENT_KINDS.get(event_type, EventKind.IGNORED)
        if kind == EventKind.IGNORED:
            return WebhookEvent(kind, event_type)
        strings = {name: data.get(name) or "" for name in
                   ("charge", "order", "currency", "refund", "failure_message")}
        amount = data.get("amount")
        if not all(isinstance(value, str) for value in strings.values()):
            raise InvalidWebhookEvent(f"{event_type}: ids, currency and message are strings")
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
            raise InvalidWebhookEvent(f"{event_type}: amount must be an integer")
        return WebhookEvent(
            kind=kind, event_type=event_type, order_reference=strings["order"] or None,
            provider_payment_id=strings["charge"], provider_refund_id=strings["refund"],
            amount=amount, currency=strings["currency"], reason=strings["failure_message"],
        )


# --- subtly wrong providers: the kit must fail each -------------------------


class AcmeReadsTheOrderAsPayment(AcmeProvider):
    """Reports the order reference as the payment id (one id for all attempts)."""

    identifier = "acme_order_as_payment"

    def event(self, event_type: str, data: dict[str, Any]) -> WebhookEvent:
        event = super().event(event_type, data)
        return replace(event, provider_payment_id=event.order_reference or "")


class AcmeChargesUnderTheOrder(AcmeProvider):
    """Has Acme name every charge of an order by the order reference."""

    identifier = "acme_order_as_charge"

    def session_request(self, order: Order, return_url: str) -> dict[str, Any]:
        return {**super().session_request(order, return_url), "charge_id": str(order.reference)}


class AcmeForgetsTheOrder(AcmeProvider):
    """Sends the buyer back to the success page without saying which order."""

    identifier = "acme_no_order_back"

    def session_request(self, order: Order, return_url: str) -> dict[str, Any]:
        return {**super().session_request(order, return_url),
                "return_url": return_url.split("?", 1)[0]}


class AcmeTrustsJsonLoads(AcmeProvider):
    """Parses the verified body with :func:`json.loads` instead of ``signing.parse_json``."""

    identifier = "acme_json_loads"

    def load(self, text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise WebhookVerificationError("body is not JSON") from exc


PROVIDERS = (AcmeProvider, AcmeReadsTheOrderAsPayment, AcmeChargesUnderTheOrder,
             AcmeForgetsTheOrder, AcmeTrustsJsonLoads)


# -------------------------------------------------------------------------
# the fake service
# -------------------------------------------------------------------------


class AcmeService(LocalHTTPService):
    """A local Acme Pay: sessions, a hosted page, and webhooks POSTed synchronously."""

    thread_name = "acme-pay"

    def __init__(self) -> None:
        super().__init__()
        self.secret = f"acme_secret_{uuid.uuid4().hex}"
        self.sessions: dict[str, dict[str, Any]] = {}
        #: Where webhooks go; a harness sets it before pressing a button.
        self.webhook_url = ""

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(_Handler):
            acme = service

        return Handler

    def body(self, event_type: str, data: dict[str, Any]) -> bytes:
        return json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": event_type,
                           "data": data}).encode()

    def create_session(self, request: dict[str, Any]) -> dict[str, Any]:
        session_id = f"cs_{uuid.uuid4().hex}"
        with self._lock:
            self.sessions[session_id] = {**request, "id": session_id}
        return {"id": session_id, "url": f"{self.url}/pay/{session_id}"}

    def settle(self, session_id: str, paid: bool) -> str:
        """Charge (or decline) one attempt, deliver its webhook, return the way back."""
        session = self.sessions[session_id]
        data = {"charge": session.get("charge_id") or f"ch_{uuid.uuid4().hex}",
                "order": session["order"], "amount": session["amount"],
                "currency": session["currency"]}
        if not paid:
            data["failure_message"] = "Your card was declined."
        body = self.body("charge.succeeded" if paid else "charge.failed", data)
        request = urllib.request.Request(  # the test's live server
            self.webhook_url, data=body, method="POST", headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(self.secret, body)})
        with urllib.request.urlopen(request, timeout=30):
            pass
        return str(session["return_url"])


class _Handler(BaseHTTPRequestHandler):
    acme: AcmeService

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        match = re.fullmatch(r"/pay/(cs_[0-9a-f]+)", self.path)
        if match is None or match.group(1) not in self.acme.sessions:
            self._answer(404, b"not found")
            return
        self._answer(200, b"<form method=post action=pay><button>Pay</button></form>"
                          b"<form method=post action=decline><button>Decline</button></form>")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/sessions":
            self._answer(201, json.dumps(self.acme.create_session(json.loads(body))).encode())
            return
        match = re.fullmatch(r"/pay/(cs_[0-9a-f]+)/(pay|decline)", self.path)
        if match is None or match.group(1) not in self.acme.sessions:
            self._answer(404, b"not found")
            return
        back = self.acme.settle(match.group(1), paid=match.group(2) == "pay")
        self.send_response(303)
        self.send_header("Location", back)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# -------------------------------------------------------------------------
# the kit's harness: a plain ProviderHarness
# -------------------------------------------------------------------------


class AcmeHarness(ProviderHarness):
    """Speaks for Acme Pay: its event bodies, its signature, its hosted page."""

    def __init__(self, service: AcmeService, identifier: str = "acme") -> None:
        self.service = service
        self.identifier = identifier  # one harness for the honest and the broken providers

    def _data(self, event: ContractEvent) -> dict[str, Any]:
        return {"charge": event.payment_id, "order": str(event.order.reference),
                "amount": event.charged_amount, "currency": event.charged_currency.lower()}

    def delivery(self, event: ContractEvent) -> Delivery:
        data = self._data(event)
        if event.kind == EventKind.PAYMENT_SUCCEEDED:
            return self.signed(self.service.body("charge.succeeded", data))
        if event.kind == EventKind.PAYMENT_FAILED:
            data["failure_message"] = event.reason or "Your card was declined."
            return self.signed(self.service.body("charge.failed", data))
        if event.kind == EventKind.REFUND_SUCCEEDED:
            data["refund"] = event.refund_id
            return self.signed(self.service.body("charge.refunded", data))
        raise AssertionError(f"Acme sends no {event.kind} event; the kit must not ask for one")

    def signed(self, body: bytes) -> Delivery:
        return Delivery(body, {SIGNATURE_HEADER: signature(self.service.secret, body)})

    def ignored_delivery(self, order: Order) -> Delivery:
        return self.signed(self.service.body("customer.created", {"customer": "cus_1"}))

    def forgeries(self, event: ContractEvent) -> dict[str, Delivery]:
        genuine = self.delivery(event)
        body, six_minutes_ago = genuine.body, dt.datetime.now(tz=dt.UTC) - 1.2 * TOLERANCE
        return {
            "signed with another secret": Delivery(
                body, {SIGNATURE_HEADER: signature("another secret", body)}),
            "body changed after signing": Delivery(change_one_byte(body), genuine.headers),
            "signature missing": Delivery(body, {}),
            "timestamp six minutes old": Delivery(
                body, {SIGNATURE_HEADER: signature(self.service.secret, body,
                                                   at=six_minutes_ago)}),
        }

    def assert_hosted_checkout(self, location: str, order: Order) -> None:
        assert location.startswith(f"{self.service.url}/pay/cs_"), location
        session = self.service.sessions[location.rsplit("/", 1)[1]]
        assert session["order"] == str(order.reference)
        assert (session["amount"], session["currency"]) == (order.amount,
                                                            order.currency.lower())
        assert order.provider_checkout_id == session["id"]

    def pay(self, session: requests.Session, location: str, *, site_url: str) -> str:
        return self._press(session, location, "pay", site_url)

    def decline(self, session: requests.Session, location: str, *, site_url: str) -> str:
        return self._press(session, location, "decline", site_url)

    def _press(self, session: requests.Session, location: str, button: str,
               site_url: str) -> str:
        self.service.webhook_url = site_url + self.webhook_path
        assert session.get(location).status_code == 200
        answer = session.post(f"{location}/{button}", allow_redirects=False)
        assert answer.status_code == 303, answer.text[:300]
        return answer.headers["Location"]
