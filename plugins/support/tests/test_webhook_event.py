"""A new support request reaches the seller's webhook endpoints as ``support.created``,
signed, at a real local receiver (core's ``WebhookReceiver``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from marketplace_support.models import SupportRequest

from marketplace_core.outbound import services
from marketplace_core.outbound.events import event_types
from marketplace_core.outbound.models import OutboundDelivery
from marketplace_core.testing.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receiver(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "WEBHOOKS_ALLOW_HTTP": True,
                            "WEBHOOKS_ALLOWED_ADDRESSES": ["127.0.0.1"]}


def test_the_plugin_registers_support_created() -> None:
    assert "support.created" in event_types()


def test_a_new_request_is_sent_to_the_sellers_endpoint(
    buyer_client: Any, purchase: Any, seller: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    with WebhookReceiver() as receiver:
        endpoint = services.create_endpoint(seller, url=f"{receiver.url}/support",
                                            description="", events=["support.created"])
        receiver.secrets = [endpoint.secret]
        with django_capture_on_commit_callbacks(execute=True):
            response = buyer_client.post(reverse("support:create", args=[purchase.pk]),
                                         {"subject": "Which paper?",
                                          "message": "Cold or hot pressed?"})
        assert response.status_code == 302

        [message] = receiver.wait_for(1)
    support_request = SupportRequest.objects.get()
    assert message.verified
    payload = message.payload
    assert payload["type"] == "support.created"
    data = payload["data"]["support_request"]
    assert data["id"] == support_request.pk
    assert data["subject"] == "Which paper?"
    assert data["buyer_email"] == "bea@example.com"
    assert data["product"]["title"] == "Watercolour Brushes"
    assert data["order_reference"] == str(purchase.order.reference)
    assert OutboundDelivery.objects.get().status == OutboundDelivery.Status.SUCCEEDED


def test_without_endpoints_nothing_is_queued(
    buyer_client: Any, purchase: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.post(reverse("support:create", args=[purchase.pk]),
                          {"subject": "Which paper?", "message": "Cold or hot pressed?"})
    assert SupportRequest.objects.exists() and not OutboundDelivery.objects.exists()
