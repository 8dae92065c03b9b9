"""The contract kit's harness for Dodo: events in Dodo's wire format, signed as Dodo
signs them, and the fake's hosted checkout page driven like a browser would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import requests
from marketplace_payments_dodo.testing import FakeDodo

from marketplace_core.ownership.models import Order
from marketplace_core.payments.providers import EventKind
from marketplace_core.testing.contracts import ContractEvent, StandardWebhooksHarness

PAYMENT_TYPES = {
    EventKind.PAYMENT_SUCCEEDED: ("payment.succeeded", "succeeded"),
    EventKind.PAYMENT_FAILED: ("payment.failed", "failed"),
    EventKind.PAYMENT_PROCESSING: ("payment.processing", "processing"),
}


class DodoHarness(StandardWebhooksHarness):
    identifier = "dodo"

    def __init__(self, fake: FakeDodo) -> None:
        self.fake = fake

    @property
    def signing_secret(self) -> str:
        return self.fake.webhook_secret

    def _payment(self, event: ContractEvent, status: str) -> dict[str, Any]:
        # Kept at the fake too, so the plugin can look the payment up (GET /payments/{id}).
        return self.fake.record_payment(
            payment_id=event.payment_id, amount=event.charged_amount,
            currency=event.charged_currency, status=status,
            metadata={"order_reference": str(event.order.reference)},
        )

    def payload(self, event: ContractEvent) -> dict[str, Any]:
        if event.kind in PAYMENT_TYPES:
            event_type, status = PAYMENT_TYPES[event.kind]
            return self.fake.payment_event(event_type, self._payment(event, status))
        if event.payment_id not in self.fake.payments:
            self._payment(event, "succeeded")
        if event.kind == EventKind.REFUND_SUCCEEDED:
            refund = self.fake.refund_payload(event.payment_id, refund_id=event.refund_id,
                                              amount=event.amount, reason=event.reason)
            return self.fake.payment_event("refund.succeeded", refund)
        if event.kind == EventKind.DISPUTE:
            dispute = self.fake.dispute_payload(
                event.payment_id, status=f"dispute_{event.dispute_status}",
                dispute_id=event.dispute_id, reason=event.reason or "fraudulent",
                amount=event.amount)
            return self.fake.payment_event(f"dispute.{event.dispute_status}", dispute)
        raise AssertionError(f"no Dodo event for {event.kind}")

    def ignored_payload(self, order: Order) -> dict[str, Any]:
        payment = self.fake.record_payment(amount=order.amount, currency=order.currency,
                                           metadata={"order_reference": str(order.reference)})
        return self.fake.payment_event("payout.success", {"payout_id": "po_1", **payment})

    def assert_hosted_checkout(self, location: str, order: Order) -> None:
        assert location.startswith(f"{self.fake.url}/checkout/cks_"), location
        session = self.fake.checkouts[location.rsplit("/", 1)[1]]
        assert session["metadata"]["order_reference"] == str(order.reference)
        assert order.provider_checkout_id == session["id"]

    def send_webhooks_to(self, site_url: str) -> None:
        self.fake.webhook_url = site_url + self.webhook_path

    @contextlib.contextmanager
    def refusing_refunds(self, order: Order) -> Iterator[str]:
        """Dodo answers ``POST /refunds`` with 422 (what it says for an expired card)."""
        self.fake.fail_next("POST", "/refunds", 422, message="The card has expired")
        yield "The card has expired"

    def pay(self, session: requests.Session, location: str, *, site_url: str) -> str:
        return self._press(session, location, "pay", site_url)

    def decline(self, session: requests.Session, location: str, *, site_url: str) -> str:
        return self._press(session, location, "fail", site_url)

    def _press(self, session: requests.Session, location: str, button: str,
               site_url: str) -> str:
        """Press Pay or Fail on the fake's page; its webhooks go to ``site_url``."""
        self.fake.webhook_url = site_url + self.webhook_path
        page = session.get(location)
        assert page.status_code == 200 and f">{button.title()}</button>" in page.text, (
            page.text[:300])
        session_id = location.rsplit("/", 1)[1]
        answer = session.post(f"{self.fake.url}/checkout/{session_id}/{button}",
                              allow_redirects=False)
        assert answer.status_code == 303, answer.text[:300]
        self.fake.wait_for_webhooks()
        return answer.headers["Location"]
