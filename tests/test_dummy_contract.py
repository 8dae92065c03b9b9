"""Core's dummy provider passes the payment provider contract kit.

It speaks the kit's language directly: its deliveries are the ones
:func:`marketplace_core.payments.dummy.build_delivery` sends, and its hosted
checkout is the local page with Pay and Fail buttons, whose Pay button makes
the site deliver a signed webhook to itself over HTTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from marketplace_core.ownership.models import Order
from marketplace_core.payments.dummy import read_checkout_token, webhook_secret
from marketplace_core.payments.providers import EventKind
from marketplace_core.testing.contracts import (
    ContractEvent,
    PaymentProviderContract,
    StandardWebhooksHarness,
    csrf_token,
)


class DummyHarness(StandardWebhooksHarness):
    identifier = "dummy"

    @property
    def signing_secret(self) -> str:
        return webhook_secret()

    def payload(self, event: ContractEvent) -> dict[str, Any]:
        data: dict[str, Any] = {
            "order_reference": str(event.order.reference),
            "payment_id": event.payment_id,
            "amount": event.charged_amount,
            "currency": event.charged_currency,
        }
        if event.reason:
            data["reason"] = event.reason
        types = {
            EventKind.PAYMENT_SUCCEEDED: "payment.succeeded",
            EventKind.PAYMENT_FAILED: "payment.failed",
            EventKind.PAYMENT_PROCESSING: "payment.processing",
            EventKind.REFUND_SUCCEEDED: "refund.succeeded",
        }
        if event.kind == EventKind.REFUND_SUCCEEDED:
            data["refund_id"] = event.refund_id
        if event.kind == EventKind.DISPUTE:
            data["dispute_id"] = event.dispute_id
            return {"type": f"dispute.{event.dispute_status}", "data": data}
        return {"type": types[event.kind], "data": data}

    def ignored_payload(self, order: Order) -> dict[str, Any]:
        return {"type": "customer.updated", "data": {"order_reference": str(order.reference)}}

    def assert_hosted_checkout(self, location: str, order: Order) -> None:
        prefix = reverse("marketplace:dummy_checkout", kwargs={"token": "T"}).removesuffix("T/")
        path = location.split("://", 1)[-1].split("/", 1)[-1]
        assert ("/" + path).startswith(prefix), location
        token = location.rstrip("/").rsplit("/", 1)[1]
        assert read_checkout_token(token)["order"] == str(order.reference)

    def pay(self, session: requests.Session, location: str, *, site_url: str) -> str:
        return self._press(session, location, "pay")

    def decline(self, session: requests.Session, location: str, *, site_url: str) -> str:
        return self._press(session, location, "fail")

    @contextlib.contextmanager
    def refusing_refunds(self, order: Order) -> Iterator[str]:
        """The dummy refuses when it has no address to send its refund webhook to."""
        Order.objects.filter(pk=order.pk).update(site_url="")
        with override_settings(MARKETPLACE={**settings.MARKETPLACE, "SITE_URL": ""}):
            yield "needs MARKETPLACE['SITE_URL']"

    @staticmethod
    def _press(session: requests.Session, location: str, outcome: str) -> str:
        """Press Pay or Fail; the page queues the signed webhook and sends the buyer back."""
        page = session.get(location)
        assert page.status_code == 200
        response = session.post(location, allow_redirects=False, headers={"Referer": location},
                                data={"outcome": outcome,
                                      "csrfmiddlewaretoken": csrf_token(page.text)})
        assert response.status_code == 302, response.text[:300]
        return response.headers["Location"]


class TestDummyProviderContract(PaymentProviderContract):
    @pytest.fixture
    def harness(self) -> DummyHarness:
        return DummyHarness()
