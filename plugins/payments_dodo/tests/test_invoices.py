"""Invoices: the buyer's order history links a paid Dodo order's invoice, and the
plugin's view fetches the PDF from Dodo (``GET /invoices/payments/{payment_id}``)
for that buyer only.

Orders are paid the way a buyer pays: the billing form creates a checkout
session at the fake Dodo, **Pay** settles it there, and the fake's signed
webhooks are posted to the site's webhook endpoint.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_payments_dodo.testing import FakeDodo, WebhookMode, invoice_pdf

from marketplace_core.ownership.models import Order
from marketplace_core.plugins.registry import payment_provider

pytestmark = pytest.mark.django_db

ORDERS_URL = "/account/orders/"
WEBHOOK_URL = "/payments/webhooks/dodo/"
BILLING = {"name": "Ada Buyer", "email": "ada@example.org", "country": "DE"}
INVOICE_ROUTE = "/invoices/payments/{payment_id}"


@pytest.fixture
def buyer(make_user: Any) -> Any:
    return make_user(email="buyer@example.com", name="Ada Buyer")


@pytest.fixture
def product(make_product: Any) -> Any:
    return make_product(title="Field Guide", price=1999, currency="EUR")


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start_checkout(buyer: Any, product: Any) -> Order:
    """The buyer fills in the billing form: a pending order with a Dodo checkout session."""
    response = logged_in(buyer).post(
        reverse("marketplace:checkout", kwargs={"slug": product.slug}), BILLING)
    assert response.status_code == 302, response.content[:300]
    return Order.objects.get(buyer=buyer, product=product, status=Order.Status.PENDING)


def deliver_webhooks(dodo: FakeDodo) -> None:
    """Post every webhook the fake signed to the site, as Dodo would."""
    dodo.wait_for_webhooks()
    site = Client()
    for record in dodo.webhooks:
        headers = {"HTTP_" + k.upper().replace("-", "_"): v
                   for k, v in dodo.sign(record.msg_id, record.body).items()}
        response = site.post(WEBHOOK_URL, data=record.body, content_type="application/json",
                             **headers)
        assert response.status_code == 200, response.content
    dodo.webhooks.clear()


def pay(dodo: FakeDodo, buyer: Any, product: Any, outcome: str = "pay") -> Order:
    """Checkout, **Pay** (or **Fail**) on Dodo's page, webhooks delivered; the order."""
    dodo.webhook_mode = WebhookMode(max_attempts=1, retry_delay=0)  # no site URL: kept here
    order = start_checkout(buyer, product)
    dodo.settle_checkout(order.provider_checkout_id, outcome)  # type: ignore[arg-type]
    deliver_webhooks(dodo)
    order.refresh_from_db()
    return order


def payment_id_of(order: Order) -> str:
    return order.payments.get(status="succeeded").provider_payment_id


def invoice_url(order: Order) -> str:
    return reverse("payments_dodo:invoice", kwargs={"reference": order.reference})


def receipt_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"[^>]*data-receipt', html)


def invoice_calls(dodo: FakeDodo) -> list[tuple[str, int]]:
    return [(e.path, e.status) for e in dodo.exchanges if e.route == INVOICE_ROUTE]


# -------------------------------------------------------------------------
# the link
# -------------------------------------------------------------------------


def test_order_history_links_the_invoice_of_a_paid_order_only(
    dodo: FakeDodo, buyer: Any, product: Any, make_product: Any
) -> None:
    paid = pay(dodo, buyer, product)
    failed = pay(dodo, buyer, make_product(title="Declined Atlas", price=900,
                                          currency="EUR"), outcome="fail")
    unpaid = start_checkout(buyer, make_product(title="Unpaid Map", price=500, currency="EUR"))
    assert (paid.status, failed.status, unpaid.status) == ("paid", "failed", "pending")
    calls_before = len(dodo.exchanges)

    html = logged_in(buyer).get(ORDERS_URL).content.decode()

    assert receipt_links(html) == [invoice_url(paid)]
    assert len(dodo.exchanges) == calls_before  # the page asked Dodo nothing
    provider = payment_provider("dodo")
    for order in (failed, unpaid):
        assert provider.receipt_url(Order.objects.prefetch_related("payments").get(
            pk=order.pk)) is None


@pytest.mark.by_database
@pytest.mark.parametrize("orders", [1, 3])
def test_receipt_links_cost_no_query_per_order(
    orders: int, dodo: FakeDodo, buyer: Any, make_product: Any, django_assert_num_queries: Any
) -> None:
    paid = [pay(dodo, buyer, make_product(title=f"Guide {i}", price=1000 + i, currency="EUR"))
            for i in range(orders)]
    client = logged_in(buyer)

    # session, user with the person's seller/verified rows, count, orders with products, their
    # payments, their refunds: as with any provider
    with django_assert_num_queries(6):
        html = client.get(ORDERS_URL).content.decode()

    assert sorted(receipt_links(html)) == sorted(invoice_url(o) for o in paid)


@pytest.mark.by_database
def test_receipt_url_reads_only_the_prefetched_payments(
    dodo: FakeDodo, buyer: Any, product: Any, django_assert_num_queries: Any
) -> None:
    order = Order.objects.prefetch_related("payments").get(pk=pay(dodo, buyer, product).pk)
    calls_before = len(dodo.exchanges)

    with django_assert_num_queries(0):
        url = payment_provider("dodo").receipt_url(order)

    assert url == invoice_url(order)
    assert len(dodo.exchanges) == calls_before


# -------------------------------------------------------------------------
# the download
# -------------------------------------------------------------------------


@pytest.mark.smoke
def test_the_buyer_downloads_the_invoice_pdf(dodo: FakeDodo, buyer: Any, product: Any) -> None:
    order = pay(dodo, buyer, product)
    payment_id = payment_id_of(order)

    response = logged_in(buyer).get(invoice_url(order))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-{order.reference}.pdf"')
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == invoice_pdf(dodo.payments[payment_id])
    assert body.startswith(b"%PDF-") and f"Payment {payment_id}".encode() in body
    assert b"Total 19.99 EUR" in body
    assert invoice_calls(dodo) == [(f"/invoices/payments/{payment_id}", 200)]


@pytest.mark.parametrize("who", ["another customer", "the product's seller", "another seller"])
def test_anyone_but_the_buyer_gets_404(who: str, dodo: FakeDodo, buyer: Any, product: Any,
                                       make_user: Any, make_seller: Any) -> None:
    order = pay(dodo, buyer, product)
    stranger = {"another customer": make_user, "another seller": make_seller}.get(
        who, lambda: product.seller)()

    response = logged_in(stranger).get(invoice_url(order))

    assert response.status_code == 404
    assert invoice_calls(dodo) == []


def test_anonymous_visitors_are_sent_to_log_in(dodo: FakeDodo, buyer: Any, product: Any) -> None:
    order = pay(dodo, buyer, product)
    target = invoice_url(order)

    response = Client().get(target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('marketplace:login')}?next={target}"
    assert invoice_calls(dodo) == []


def test_an_unpaid_order_has_no_invoice(dodo: FakeDodo, buyer: Any, product: Any,
                                        make_product: Any) -> None:
    unpaid = start_checkout(buyer, product)
    failed = pay(dodo, buyer, make_product(title="Declined", price=900, currency="EUR"),
                 outcome="fail")

    client = logged_in(buyer)
    assert client.get(invoice_url(unpaid)).status_code == 404
    assert client.get(invoice_url(failed)).status_code == 404
    assert invoice_calls(dodo) == []


def test_dodo_unavailable_is_a_503_to_retry(dodo: FakeDodo, buyer: Any, product: Any,
                                            caplog: Any) -> None:
    order = pay(dodo, buyer, product)
    dodo.fail_next("GET", "/invoices/payments/", 503, times=2)  # the first try and its retry

    with caplog.at_level(logging.WARNING, logger="payments_dodo"):
        response = logged_in(buyer).get(invoice_url(order))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "try again in a minute" in response.content.decode()
    assert [status for _, status in invoice_calls(dodo)] == [503, 503]
    assert "not fetched" in caplog.text
    # Dodo is back: the same link works.
    assert logged_in(buyer).get(invoice_url(order)).status_code == 200


def test_no_invoice_at_dodo_is_a_404(dodo: FakeDodo, buyer: Any, product: Any) -> None:
    order = pay(dodo, buyer, product)
    dodo.fail_next("GET", "/invoices/payments/", 404, message="Invoice not found")

    assert logged_in(buyer).get(invoice_url(order)).status_code == 404
    assert [status for _, status in invoice_calls(dodo)] == [404]


def test_refused_credentials_are_a_503_and_an_error_in_the_log(
    dodo: FakeDodo, buyer: Any, product: Any, caplog: Any
) -> None:
    order = pay(dodo, buyer, product)
    dodo.fail_next("GET", "/invoices/payments/", 401, message="Invalid API key")

    with caplog.at_level(logging.ERROR, logger="payments_dodo"):
        response = logged_in(buyer).get(invoice_url(order))

    assert response.status_code == 503
    assert [r.levelno for r in caplog.records if r.name == "payments_dodo"] == [logging.ERROR]
