"""One receipt per order, however many confirmations or task runs arrive at once.

Fifty copies of a payment's success (each its own delivery, as a provider's
retries are) reach the live server together, and fifty runs of the receipt task
start together: the buyer gets one email. Runs on SQLite and on PostgreSQL
(``--marketplace-db=postgres``), where the runs really overlap.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
import requests
from django.core import mail
from django.db import connection

from marketplace_core.accounts.sent_emails import SentEmail
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.payments.dummy import build_delivery
from marketplace_core.receipts.tasks import send_receipt
from marketplace_core.testing.contracts import accept_many_connections, send_together
from tests.payments_support import WEBHOOK_URL

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

COUNT = 50


@pytest.fixture
def order(settings, make_user, make_product) -> Order:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example"}
    product = make_product(title="Field Guide", price=1999, currency="USD")
    return services.start_checkout(buyer=make_user(email="ada@example.com"), product=product,
                                   provider="dummy")


def post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    with requests.Session() as session:  # a connection of its own per request
        return session.post(url, data=body, timeout=120,
                            headers={**headers, "Content-Type": "application/json"})


def test_fifty_concurrent_confirmations_send_one_receipt(live_server, order):
    server = accept_many_connections(live_server)
    data = {"order_reference": str(order.reference), "payment_id": "pay_1",
            "amount": order.amount, "currency": order.currency}
    deliveries = [build_delivery("payment.succeeded", data) for _ in range(COUNT)]

    responses = send_together(COUNT, lambda i: post(server.url + WEBHOOK_URL, *deliveries[i]))

    assert Counter(r.status_code for r in responses) == {200: COUNT}
    assert Counter(r.json()["outcome"] for r in responses) == {
        "confirmed": 1, "already_confirmed": COUNT - 1}
    assert PurchasedProduct.objects.filter(order=order).count() == 1
    # One receipt to the buyer, and one "New sale" email to the product's seller.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["ada@example.com", order.product.seller.email])
    assert SentEmail.objects.filter(key=f"receipt:{order.reference}").count() == 1
    assert SentEmail.objects.filter(key__startswith=f"notification:sale:{order.pk}:").count() == 1


def test_fifty_concurrent_runs_of_the_receipt_task_send_one_email(order):
    services.confirm_payment(provider="dummy", order_reference=order.reference,
                             provider_payment_id="pay_1", amount=order.amount,
                             currency=order.currency)
    mail.outbox.clear()
    SentEmail.objects.all().delete()  # as if the first run had not happened yet
    barrier = Barrier(COUNT, timeout=60)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return send_receipt.apply(args=(order.pk,), task_id=f"run-{i}").get()
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(max_workers=COUNT) as pool:
        sent = list(pool.map(run, range(COUNT)))

    assert Counter(sent) == {True: 1, False: COUNT - 1}
    assert len(mail.outbox) == 1
