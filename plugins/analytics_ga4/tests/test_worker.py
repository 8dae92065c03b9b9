"""Purchase events through a real Celery worker and Redis broker, against the fake GA4.

The test process commits a paid order (with its own sending switched off) and queues
the purchase task twice at once; the worker runs both side by side. GA gets one event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from marketplace_analytics_ga4.models import SentEvent
from marketplace_analytics_ga4.tasks import PURCHASE_TASK
from marketplace_analytics_ga4.testing import FakeGA4

from marketplace_core.ownership import services
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.workers import CeleryWorker, database_url_for_test_db
from tests.conftest import configure

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

PLUGIN_DIR = Path(__file__).resolve().parent.parent


def test_two_deliveries_to_a_real_worker_send_one_purchase_event(
        fake_ga4: FakeGA4, redis_server: Any, settings: Any, make_user: Any,
        make_product: Any) -> None:
    configure(settings, API_SECRET="")  # this process sends nothing itself
    product = make_product(price=1500, currency="USD")
    order = services.start_checkout(buyer=make_user(), product=product, provider="dummy")
    services.confirm_payment(provider="dummy", order_reference=order.reference,
                             provider_payment_id="pay_w1", amount=1500, currency="USD")
    worker = CeleryWorker("tests.worker_app", cwd=PLUGIN_DIR, env={
        "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(PLUGIN_DIR),
        "CELERY_BROKER_URL": redis_server.url, "DATABASE_URL": database_url_for_test_db(),
        "TEST_GA4_OPTIONS": json.dumps(fake_ga4.settings()),
    }).start()
    broker = Celery("sender", broker=redis_server.url, set_as_current=False)
    try:
        for _ in range(2):
            broker.send_task(PURCHASE_TASK, args=[order.pk])
        [event] = fake_ga4.wait_for_events(1)
        wait_until(lambda: worker.output().count(f"Task {PURCHASE_TASK}") >= 2
                   and worker.output().count("succeeded") >= 2, timeout=30,
                   what="the worker to finish both deliveries")
    finally:
        broker.close()
        worker.stop()

    assert event.params["transaction_id"] == str(order.reference)
    assert [e.name for e in fake_ga4.events] == ["purchase"]
    assert SentEvent.objects.get(kind="purchase", key=str(order.reference)).sent_at is not None
