"""The seller's sales pages and their refund form: /seller/sales/ and /seller/sales/<reference>/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from marketplace_core.ownership.models import Order, RefundRequest
from marketplace_core.testing.factories import logged_in
from tests import refund_support
from tests.panels_support import data_values, text_of
from tests.refund_support import paid_order, webhook_refund

pytestmark = pytest.mark.django_db
desk, seller, order = refund_support.desk, refund_support.seller, refund_support.order

SALES_URL = "/seller/sales/"


@pytest.fixture
def client(seller: Any) -> Client:
    return logged_in(seller)


def detail_url(order: Order) -> str:
    return f"{SALES_URL}{order.reference}/"


def errors(html: str, field: str) -> list[str]:
    if f'data-errors-for="{field}"' not in html:
        return []
    block = html.split(f'data-errors-for="{field}">', 1)[1].split("</div>", 1)[0]
    return [text_of(part) for part in block.split("</p>") if text_of(part)]


def test_the_sales_list_shows_only_my_paid_and_refunded_orders_newest_first(
        client, seller, desk, make_user, make_product, django_assert_max_num_queries):
    mine = make_product(seller=seller, title="Field Guide", price=2000)
    first = paid_order(make_user(), mine)
    second = paid_order(make_user(), make_product(seller=seller, title="Atlas", price=500))
    webhook_refund(second, "ref_all")
    paid_order(make_user(), make_product(title="Someone else's"))  # another seller's sale
    with django_assert_max_num_queries(8):
        html = client.get(SALES_URL).content.decode()

    assert data_values(html, "order") == [str(second.reference), str(first.reference)]
    row = text_of(html.split(f'data-order="{first.reference}"', 1)[1].split("</tr>", 1)[0])
    assert "Field Guide" in row and "buyer-billing@example.com" in row
    assert "$20.00" in row and "Paid" in row
    assert 'data-nav="seller-sales" aria-current="page"' in html



def test_the_sales_list_links_to_the_orders_csv(client, seller, make_user, make_product):
    order = paid_order(make_user(), make_product(seller=seller, title="Field Guide", price=2000))
    html = client.get(SALES_URL).content.decode()

    [link] = re.findall(r'href="([^"]*export=orders[^"]*)"', html)
    response = client.get(link.replace("&amp;", "&"))
    assert response["Content-Type"].startswith("text/csv")
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and str(order.reference) in rows[1] and "Field Guide" in rows[1]

def test_the_sales_list_costs_the_same_for_one_row_and_a_full_page(
        client, seller, desk, make_user, make_product, django_assert_max_num_queries):
    product = make_product(seller=seller)
    paid_order(make_user(), product)
    with django_assert_max_num_queries(8) as one:
        client.get(SALES_URL)
    for _ in range(24):
        paid_order(make_user(), make_product(seller=seller))
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(SALES_URL).content.decode()
    assert len(data_values(html, "order")) == 20
    assert "Page 1 of 2" in html


def test_a_sale_shows_payments_refunds_and_access(client, order):
    webhook_refund(order, "ref_part", 500)
    html = client.get(detail_url(order)).content.decode()
    text = text_of(html)
    assert "buyer-billing@example.com" in text
    assert f"pay_{order.reference.hex[:10]}" in text
    assert "refunded $5.00" in text
    assert "Active since" in text
    assert 'value="15.00"' in html  # what is left, by default


def test_another_sellers_order_is_404_to_look_at_and_to_refund(order, make_seller):
    other = logged_in(make_seller())
    assert other.get(detail_url(order)).status_code == 404
    assert other.post(detail_url(order), {"amount": "20.00"}).status_code == 404
    assert not RefundRequest.objects.exists()
    assert logged_in(order.buyer).get(detail_url(order)).status_code == 403  # not a seller


def test_refunding_redirects_back_and_shows_the_pending_request(
        client, order, desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail_url(order), {"amount": "20.00", "reason": "Wrong file"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(order)

    html = client.get(detail_url(order)).content.decode()
    assert "Refund of $20.00 requested" in text_of(html)
    assert data_values(html, "refund-request") == ["sent"]
    assert desk.calls[0].amount == 2000
    # Nothing left to ask for: the form is disabled and says why.
    assert re.search(r"<fieldset\s+disabled", html)
    assert "on its way back" in text_of(html)


@pytest.mark.parametrize(("amount", "field", "message"), [
    ("20.01", "amount", "You can refund at most $20.00 of this order."),
    ("0", "amount", "Enter an amount greater than zero."),
    ("1.234", "amount", "USD amounts have at most 2 decimal places."),
    ("lots", "amount", "Enter a number."),
])
def test_bad_amounts_are_form_errors(client, order, amount, field, message):
    response = client.post(detail_url(order), {"amount": amount})
    assert response.status_code == 400
    assert errors(response.content.decode(), field) == [message]
    assert not RefundRequest.objects.exists()


def test_refunding_twice_says_nothing_is_left(client, order):
    assert client.post(detail_url(order), {"amount": "20.00"}).status_code == 302
    response = client.post(detail_url(order), {"amount": "20.00"})
    assert response.status_code == 400
    assert errors(response.content.decode(), "__all__") == [
        "Everything paid for this order is refunded or on its way back."]
    assert RefundRequest.objects.count() == 1


def test_an_unpaid_order_cannot_be_refunded(client, seller, desk, make_user, make_product):
    from marketplace_core.ownership import services

    order = services.start_checkout(buyer=make_user(), product=make_product(seller=seller),
                                    provider="desk")
    html = client.get(detail_url(order)).content.decode()
    assert "This order is not paid, so there is nothing to refund." in text_of(html)
    response = client.post(detail_url(order), {"amount": "19.99"})
    assert errors(response.content.decode(), "__all__") == [
        "This order is not paid, so there is nothing to refund."]


def test_a_provider_without_refunds_disables_the_button_and_says_why(
        client, seller, desk, make_user, make_product):
    order = paid_order(make_user(), make_product(seller=seller), "cash")
    html = client.get(detail_url(order)).content.decode()
    assert re.search(r"<fieldset\s+disabled", html)
    assert "Cash Desk does not take refund requests from this site" in text_of(html)


def test_a_provider_without_partial_refunds_offers_the_whole_amount_only(
        client, seller, desk, make_user, make_product):
    order = paid_order(make_user(), make_product(seller=seller, price=2000), "wholedesk")
    html = client.get(detail_url(order)).content.decode()
    assert re.search(r'name="amount"[^>]*readonly', html)
    response = client.post(detail_url(order), {"amount": "10.00"})
    assert errors(response.content.decode(), "amount") == [
        "Whole Desk Pay only refunds what is left of an order: $20.00."]


def test_the_refund_form_needs_the_csrf_token(seller, order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    assert client.post(detail_url(order), {"amount": "20.00"}).status_code == 403
    assert not RefundRequest.objects.exists()
