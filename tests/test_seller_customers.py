"""The seller's customers page (``/seller/customers/``): who bought, when, how
much per currency; search, pages, guests, refunds, permissions, query bound."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from marketplace_core.people.records import ensure_account
from tests.bulk_sales import bulk_orders, bulk_users
from tests.panels_support import fail, logged_in, refund, sell, text_of

pytestmark = pytest.mark.django_db

URL = "/seller/customers/"


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 12, 0, tzinfo=dt.UTC)


def rows_of(html: str) -> dict[str, str]:
    """Each customer row's visible text, by the customer's address."""
    body = html.split('class="customers', 1)[1].split("</table>", 1)[0]
    return {email: text_of(row) for email, row in
            re.findall(r'<tr data-customer="([^"]*)">(.*?)</tr>', body, flags=re.S)}


@pytest.fixture
def shop(make_seller, make_user, make_product):
    """Alice bought twice in USD and once in EUR; Bob once, then a full refund;
    Carol's payment failed; Dave bought from another seller only."""
    seller = make_seller()
    guide = make_product(seller=seller, title="Guide", price=1999, currency="USD")
    book = make_product(seller=seller, title="Book", price=500, currency="USD")
    course = make_product(seller=seller, title="Course", price=3000, currency="EUR")
    alice = make_user(email="alice@example.com", name="Alice Liddell")
    bob = make_user(email="bob@example.com", name="Bob")
    carol = make_user(email="carol@example.com", name="Carol")
    dave = make_user(email="dave@example.com", name="Dave")
    sell(alice, guide, at=at(2))
    sell(alice, course, at=at(5))
    refund(sell(alice, book, at=at(9)), amount=200)  # partial: the order stays paid
    refund(sell(bob, guide, at=at(7)))
    fail(carol, guide)
    sell(dave, make_product(title="Elsewhere", price=100, currency="USD"))
    return seller


def test_every_buyer_once_with_dates_purchases_and_totals_per_currency(shop):
    html = logged_in(shop).get(URL).content.decode()

    rows = rows_of(html)
    assert list(rows) == ["alice@example.com", "bob@example.com"]  # latest purchase first
    assert rows["alice@example.com"] == (
        "Alice Liddell alice@example.com 2026-03-02 2026-03-09 3 €30.00 $22.99 ($2.00 refunded)"
    )
    # A fully refunded purchase still makes a customer, with nothing net.
    assert rows["bob@example.com"].endswith(" 1 $0.00 ($19.99 refunded)")
    assert "carol@" not in html and "dave@" not in html


def test_guests_are_customers_with_a_badge(shop, make_user, make_product):
    guest = make_user(email="guest@example.com", name="")
    row = ensure_account(guest)
    row.guest, row.guest_email = True, "guest@example.com"
    row.save()
    sell(guest, make_product(seller=shop, price=700, currency="USD"))

    html = logged_in(shop).get(URL).content.decode()

    assert 'data-badge="guest"' in html.split('data-customer="guest@example.com"')[1]
    assert rows_of(html)["guest@example.com"].startswith("guest@example.com Guest")
    assert html.count('data-badge="guest"') == 1


@pytest.mark.parametrize(("query", "found"), [
    ("ALICE@", ["alice@example.com"]),
    ("liddell", ["alice@example.com"]),
    ("example.com", ["alice@example.com", "bob@example.com"]),
    ("dave", []),  # another seller's customer is never found
])
def test_search_by_email_or_name(shop, query, found):
    html = logged_in(shop).get(URL, {"q": query}).content.decode()

    if found:
        assert list(rows_of(html)) == found
    else:
        assert f"No customers match “{query}”." in html


def test_another_sellers_customers_never_appear(shop, make_seller):
    html = logged_in(make_seller()).get(URL).content.decode()

    assert "Nobody has bought your products yet." in html
    assert "alice@" not in html and "bob@" not in html
    assert 'role="search"' not in html  # nothing to search yet


def test_only_sellers_may_open_it(client, make_user):
    assert client.get(URL).status_code == 302  # anonymous → log in
    assert reverse("marketplace:login") in client.get(URL)["Location"]
    assert logged_in(make_user()).get(URL).status_code == 403


def test_the_seller_sidebar_links_to_customers_and_exports(shop):
    html = logged_in(shop).get(URL).content.decode()

    assert re.search(r'href="/seller/customers/" data-nav="seller-customers" aria-current="page"',
                     html)
    assert 'data-nav="seller-exports"' in html


@pytest.mark.by_database
def test_ten_thousand_customers_in_five_queries_a_page(
        make_seller, make_product, django_assert_max_num_queries):
    seller = make_seller()
    product = make_product(seller=seller, price=1000, currency="USD")
    other = make_product(seller=seller, price=900, currency="EUR")
    buyers = bulk_users(10_000)
    bulk_orders(buyers, product)
    bulk_orders(buyers[:50], other)  # the newest page has two currencies
    client = logged_in(seller)

    for page in (1, 2, 400):
        with django_assert_max_num_queries(5):
            response = client.get(URL, {"page": page})
        assert response.status_code == 200
        html = response.content.decode()
        assert len(rows_of(html)) == 25
        assert f"Page {page} of 400" in html
    with django_assert_max_num_queries(5):
        html = client.get(URL, {"q": "bulk9999@"}).content.decode()
    assert list(rows_of(html)) == ["bulk9999@example.com"]
    first = rows_of(client.get(URL).content.decode())
    assert all("$10.00" in text for text in first.values())


def test_pages_of_25(make_seller, make_product):
    seller = make_seller()
    buyers = bulk_users(30)
    bulk_orders(buyers, make_product(seller=seller, price=100, currency="USD"))
    client = logged_in(seller)

    first = rows_of(client.get(URL).content.decode())
    second_html = client.get(URL, {"page": 2}).content.decode()
    second = rows_of(second_html)

    assert len(first) == 25 and len(second) == 5
    assert not set(first) & set(second)
    # The newest buyer first (their order is the latest).
    assert next(iter(first)) == "bulk29@example.com"
    assert 'rel="prev"' in second_html and "Page 2 of 2" in second_html
