"""The seller's CSV exports (``/seller/exports/``): orders and customers for a
date range, streamed, formulas neutralized, only the seller's rows, rate-limited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.http import StreamingHttpResponse

from marketplace_core.ownership.models import Order
from marketplace_core.panels.csv_download import neutralize
from marketplace_core.panels.seller_exports import EXPORTS_PER_MINUTE
from tests.panels_support import fail, logged_in, refund, sell

pytestmark = pytest.mark.django_db

URL = "/seller/exports/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # the export counts are keyed by seller id, which a rolled-back test reuses
    yield
    cache.clear()


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=dt.UTC)


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def shop(make_seller, make_user, make_product):
    seller = make_seller()
    guide = make_product(seller=seller, title="=HYPERLINK(\"http://evil\")", price=1999,
                         currency="USD")
    course = make_product(seller=seller, title="Kurs für Anfänger", price=3000, currency="EUR")
    yen = make_product(seller=seller, title="Tea", price=500, currency="JPY")
    alice = make_user(email="alice@example.com", name="@Alice")
    bob = make_user(email="bob@example.com", name="Bob")
    sell(alice, guide, at=at(2))
    sell(alice, course, at=at(5))
    refund(sell(bob, guide, at=at(7)), amount=500)
    sell(bob, yen, at=at(20))
    with_time = fail(make_user(email="carol@example.com"), guide)
    Order.objects.filter(pk=with_time.pk).update(created_at=at(8))
    sell(make_user(email="dave@example.com"), make_product(title="Elsewhere"), at=at(3))
    return seller


def test_orders_csv_has_the_sellers_orders_with_amounts_and_refunds(shop):
    client = logged_in(shop)
    Order.objects.filter(product__seller=shop, status="paid").update(
        created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))  # paid_at keeps the real days
    response = client.get(URL, {"export": "orders"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-start-to-')
    rows = read_csv(response)
    assert rows[0] == ["date", "reference", "product", "buyer_email", "status", "amount",
                       "currency", "refunded_amount", "paid_at"]
    by_product = sorted((r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows[1:])
    assert by_product == [
        ("'=HYPERLINK(\"http://evil\")", "alice@example.com", "paid", "19.99", "USD", "0.00"),
        ("'=HYPERLINK(\"http://evil\")", "bob@example.com", "paid", "19.99", "USD", "5.00"),
        ("'=HYPERLINK(\"http://evil\")", "carol@example.com", "failed", "19.99", "USD", "0.00"),
        ("Kurs für Anfänger", "alice@example.com", "paid", "30.00", "EUR", "0.00"),
        ("Tea", "bob@example.com", "paid", "500", "JPY", "0"),
    ]
    assert "dave@example.com" not in str(rows)
    assert all(len(r[1]) == 36 for r in rows[1:])  # the order reference


def test_orders_csv_date_range_includes_both_days(shop):
    rows = read_csv(logged_in(shop).get(
        URL, {"export": "orders", "start": "2026-03-05", "end": "2026-03-08"}))

    # Orders are dated by when they were created: the 5th, 7th and (failed) 8th.
    assert sorted(r[0][:10] for r in rows[1:]) == ["2026-03-05", "2026-03-07", "2026-03-08"]
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])  # oldest first


def test_customers_csv_one_row_per_customer_and_currency(shop):
    response = logged_in(shop).get(URL, {"export": "customers", "end": "2026-03-10"})

    assert 'filename="customers-start-to-2026-03-10.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["email", "name", "guest", "currency", "purchases", "first_purchase",
                       "last_purchase", "paid", "refunded", "net"]
    assert sorted(rows[1:]) == [
        ["alice@example.com", "'@Alice", "no", "EUR", "1", "2026-03-05 12:00:00",
         "2026-03-05 12:00:00", "30.00", "0.00", "30.00"],
        ["alice@example.com", "'@Alice", "no", "USD", "1", "2026-03-02 12:00:00",
         "2026-03-02 12:00:00", "19.99", "0.00", "19.99"],
        ["bob@example.com", "Bob", "no", "USD", "1", "2026-03-07 12:00:00",
         "2026-03-07 12:00:00", "19.99", "5.00", "14.99"],
    ]  # Bob's yen purchase on the 20th is after the range


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"start": "2026-03-10", "end": "2026-03-09"}, "end",
     "The end date must be on or after the start date."),
    ({"start": "March 3rd"}, "start", "Enter a valid date."),
    ({"end": "2026-02-30"}, "end", "Enter a valid date."),
])
def test_a_bad_range_is_a_form_error(shop, params, field, message):
    response = logged_in(shop).get(URL, {"export": "orders", **params})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-errors-for="{field}"' in html and message in html


def test_an_unknown_export_is_a_form_error(shop):
    response = logged_in(shop).get(URL, {"export": "passwords"})

    assert response.status_code == 400
    assert "Choose what to export: orders or customers." in response.content.decode()


def test_the_page_offers_both_exports(shop):
    response = logged_in(shop).get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="export" value="orders"' in html and 'name="export" value="customers"' in html
    assert 'type="date"' in html


def test_another_seller_exports_nothing_of_this_seller(shop, make_seller):
    client = logged_in(make_seller())

    for kind in ("orders", "customers"):
        rows = read_csv(client.get(URL, {"export": kind}))
        assert len(rows) == 1  # the header only


def test_only_sellers_may_export(client, make_user):
    assert client.get(URL, {"export": "orders"}).status_code == 302
    assert logged_in(make_user()).get(URL, {"export": "orders"}).status_code == 403


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_exports_are_limited_per_seller(shop, make_seller):
    client = logged_in(shop)
    for _ in range(EXPORTS_PER_MINUTE):
        assert client.get(URL, {"export": "customers"}).status_code == 200

    refused = client.get(URL, {"export": "orders"})

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "more than 10 exports in a minute" in refused.content.decode()
    # Another seller is not affected; the form itself still opens.
    assert logged_in(make_seller()).get(URL, {"export": "orders"}).status_code == 200
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (5, 5),
])
def test_formula_cells_are_neutralized(cell, written):
    assert neutralize(cell) == written


@pytest.mark.by_database
def test_a_large_export_streams_in_pieces(make_seller, make_product):
    from tests.bulk_sales import bulk_orders, bulk_users

    seller = make_seller()
    bulk_orders(bulk_users(3000), make_product(seller=seller, price=250, currency="USD"))

    response = logged_in(seller).get(URL, {"export": "orders"})

    pieces = list(response.streaming_content)
    assert len(pieces) > 1  # sent as it is read, not as one body
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert len(rows) == 3001 and {r[5] for r in rows[1:]} == {"2.50"}


def test_customers_csv_marks_guests_and_counts_refunded_purchases(make_seller, make_user,
                                                                   make_product):
    from marketplace_core.people.records import ensure_account

    seller = make_seller()
    guide = make_product(seller=seller, price=1250, currency="USD")
    guest = make_user(email="guest@example.com", name="")
    row = ensure_account(guest)
    row.guest, row.guest_email = True, "guest@example.com"
    row.save()
    sell(guest, guide, at=at(4))
    refund(sell(make_user(email="gone@example.com", name="Gone"), guide, at=at(6)))

    rows = read_csv(logged_in(seller).get(URL, {"export": "customers"}))

    by_email = {r[0]: r for r in rows[1:]}
    assert by_email["guest@example.com"][2:5] == ["yes", "USD", "1"]
    assert by_email["gone@example.com"][2:] == [
        "no", "USD", "1", "2026-03-06 12:00:00", "2026-03-06 12:00:00", "12.50", "12.50", "0.00"]
