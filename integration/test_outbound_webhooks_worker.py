"""Outbound webhooks sent by a real Celery worker (Redis broker, PostgreSQL) to a
real local receiver that verifies the signature; the task queued twice sends once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from integration.processes import example_site_worker
from marketplace_core.outbound import services
from marketplace_core.outbound.models import OutboundDelivery
from marketplace_core.outbound.tasks import SEND_TASK, send_delivery
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import buy, make_product, make_seller, make_user
from marketplace_core.testing.webhook_receiver import WebhookReceiver
from marketplace_core.testing.workers import CeleryWorker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook_worker(transactional_db: None, live_server: Any) -> Iterator[CeleryWorker]:
    with example_site_worker("integration.settings", MARKETPLACE_WEBHOOKS_ALLOW_HTTP="1",
                             MARKETPLACE_WEBHOOKS_ALLOWED_ADDRESSES="127.0.0.1") as worker:
        yield worker


def test_a_paid_order_is_delivered_once_by_the_worker(webhook_worker: CeleryWorker) -> None:
    seller = make_seller()
    with WebhookReceiver() as receiver:
        endpoint = services.create_endpoint(seller, url=f"{receiver.url}/in", description="",
                                            events=["order.paid"])
        receiver.secrets = [endpoint.secret]
        purchase = buy(make_user(), make_product(seller=seller, title="Atlas"))

        [message] = receiver.wait_for(1, timeout=120)
        assert message.verified
        assert message.payload["data"]["order"]["reference"] == str(purchase.order.reference)
        delivery = OutboundDelivery.objects.get()
        wait_until(lambda: OutboundDelivery.objects.get().status == "succeeded", timeout=60,
                   what="the delivery to be recorded as succeeded")

        send_delivery.delay(delivery.pk)  # a second run, as a redelivered task would be
        wait_until(lambda: "'skipped'" in webhook_worker.output(), timeout=120,
                   what="the second run to finish")
    runs = re.findall(rf"{re.escape(SEND_TASK)}\[[0-9a-f-]+\] succeeded", webhook_worker.output())
    assert len(runs) == 2, webhook_worker.output()[-3000:]
    assert len(receiver.received) == 1
    assert OutboundDelivery.objects.get().attempts == 1
