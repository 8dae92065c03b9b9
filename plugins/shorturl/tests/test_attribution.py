"""Short links joined to sales, end to end: redirect -> cookie -> product page ->
checkout -> paid (-> refunded), and what the seller's pages show."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from marketplace_shorturl.models import AttributedOrder
from marketplace_shorturl.tasks import flush_clicks

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.plugins.events import deliver
from marketplace_core.testing.factories import logged_in, make_product, make_seller, make_user

pytestmark = pytest.mark.django_db

LIST = "/s/manage/"
COOKIE = "shorturl_ref"


@pytest.fixture
def shop(seller, make_link):
    """The seller's product (19.99 EUR) and two links to it."""
    product = make_product(seller=seller, title="Icon pack", price=1999, currency="EUR")
    url = f"http://testserver{product.get_absolute_url()}"
    return product, make_link(slug="newsletter", destination=url), make_link(slug="social",
                                                                             destination=url)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run events (delivered after commit) as the code under test commits."""
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)
    return run


def checkout(client: Client, product, buyer) -> Order:
    response = client.post(f"{product.get_absolute_url()}buy/",
                           {"name": "Bea Buyer", "email": buyer.email, "country": "de"})
    assert response.status_code == 302, response.content
    return Order.objects.get(buyer=buyer, product=product, status=Order.Status.PENDING)


def pay(order: Order, expected: services.Outcome = services.Outcome.CONFIRMED) -> None:
    outcome = services.confirm_payment(provider="dummy", order_reference=order.reference,
                                       provider_payment_id=f"pay_{order.reference.hex}",
                                       amount=order.amount, currency=order.currency)
    assert outcome == expected


def refund(order: Order, amount: int, refund_id: str = "ref_1") -> None:
    services.record_refund(provider="dummy", order_reference=order.reference,
                           provider_refund_id=refund_id, amount=amount, currency=order.currency)


def row(seller_client: Client, slug: str) -> dict[str, str]:
    """The figures of ``slug``'s row in the seller's list, by column class."""
    html = seller_client.get(LIST).content.decode()
    match = re.search(rf'<tr data-slug="{slug}">(.*?)</tr>', html, re.S)
    assert match, html
    cells = dict(re.findall(r'<td class="(\w+)[^"]*">(.*?)</td>', match[1], re.S))
    return {key: re.sub(r"<[^>]+>", "", value).strip() for key, value in cells.items()}


def test_a_click_a_view_and_a_purchase_show_on_the_sellers_list(shop, on_commit, seller_client):
    product, link, _ = shop
    buyer = make_user()
    client = logged_in(buyer)

    response = client.get("/s/newsletter")
    assert response.status_code == 302
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 30 * 86400
    assert re.fullmatch(rf"{link.pk}\.\d{{10}}:[\w-]+", cookie.value)  # the link and the time
    assert client.get(product.get_absolute_url()).status_code == 200
    order = on_commit(checkout, client, product, buyer)
    on_commit(pay, order)
    flush_clicks()

    figures = row(seller_client, "newsletter")
    assert (figures["clicks"], figures["views"], figures["purchases"], figures["revenue"]) == (
        "1", "1", "1", "€19.99")
    other = row(seller_client, "social")
    assert (other["clicks"], other["views"], other["purchases"], other["revenue"]) == (
        "0", "0", "0", "—")
    page = seller_client.get(f"/s/manage/{link.pk}/edit/").content.decode()
    assert re.search(r'class="purchases">1<', page) and "€19.99" in page
    dashboard = seller_client.get("/api/v1/seller/dashboard", {"period": "7d"}).json()
    [series] = [s for s in dashboard["series"] if s["key"] == "shorturl-sales"]
    assert [p["value"] for p in series["points"]] == [0] * 6 + [1]
    assert series["points"][-1]["label"] == timezone.localdate().isoformat()


def test_the_last_link_clicked_wins(shop, on_commit):
    product, _first, second = shop
    buyer = make_user()
    client = logged_in(buyer)

    client.get("/s/newsletter")
    client.get("/s/social")
    order = on_commit(checkout, client, product, buyer)
    on_commit(pay, order)

    attributed = AttributedOrder.objects.get(order_reference=order.reference)
    assert attributed.link_id == second.pk and attributed.paid_at is not None


def test_a_newer_click_moves_an_unpaid_orders_attribution(shop, on_commit):
    product, _first, second = shop
    buyer = make_user()
    client = logged_in(buyer)

    client.get("/s/newsletter")
    order = on_commit(checkout, client, product, buyer)
    client.get("/s/social")
    assert on_commit(checkout, client, product, buyer) == order  # the open order, reused

    assert AttributedOrder.objects.get(order_reference=order.reference).link_id == second.pk


def test_a_click_older_than_the_window_is_not_attributed(shop, on_commit):
    product, link, _ = shop
    buyer = make_user()
    client = logged_in(buyer)
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=True):
        client.get("/s/newsletter")
    with time_machine.travel(start + dt.timedelta(days=30, minutes=1), tick=True):
        # The browser would have dropped the cookie (Max-Age); the server does not trust it.
        client.get(product.get_absolute_url())
        order = on_commit(checkout, client, product, buyer)
    flush_clicks()

    assert not AttributedOrder.objects.filter(order_reference=order.reference).exists()
    link.refresh_from_db()
    assert (link.clicks, link.views) == (1, 0)


def test_a_refund_takes_the_sale_back_out(shop, on_commit, seller_client):
    product, _link, _ = shop
    buyer = make_user()
    client = logged_in(buyer)
    client.get("/s/newsletter")
    order = on_commit(checkout, client, product, buyer)
    on_commit(pay, order)
    on_commit(pay, order, services.Outcome.ALREADY_CONFIRMED)  # a repeated webhook
    deliver("payment_confirmed", {"order": order, "payment": order.payments.get()})  # redelivered

    on_commit(refund, order, 500, "ref_part")
    figures = row(seller_client, "newsletter")
    assert (figures["purchases"], figures["revenue"]) == ("1", "€14.99")
    on_commit(refund, order, 1499, "ref_rest")
    on_commit(refund, order, 1499, "ref_rest")  # a repeated webhook
    deliver("refund_recorded", {"order": order, "refund": order.refunds.first()})  # redelivered
    figures = row(seller_client, "newsletter")
    assert (figures["purchases"], figures["revenue"]) == ("0", "—")


def test_a_forged_cookie_or_another_shops_link_attributes_nothing(shop, on_commit, make_link):
    product, link, _ = shop
    foreign = make_link(make_seller(), slug="elsewhere")
    buyer = make_user()
    client = logged_in(buyer)

    client.cookies[COOKIE] = f"{link.pk}.9999999999:forged"
    order = on_commit(checkout, client, product, buyer)
    assert not AttributedOrder.objects.filter(order_reference=order.reference).exists()

    client.get("/s/elsewhere")  # a valid cookie, for another seller's link
    client.get(product.get_absolute_url())
    on_commit(checkout, client, product, buyer)
    flush_clicks()
    assert not AttributedOrder.objects.exists()
    foreign.refresh_from_db()
    assert (foreign.clicks, foreign.views) == (1, 0)  # not its seller's product


def test_cached_product_pages_count_views_without_a_query(shop, django_assert_num_queries):
    product, link, _ = shop
    client = Client()
    client.get("/s/newsletter")
    client.get(product.get_absolute_url())  # renders and caches the page

    with django_assert_num_queries(0):
        assert client.get(product.get_absolute_url()).status_code == 200
    flush_clicks()
    link.refresh_from_db()
    assert link.views == 2


def test_with_attribution_off_no_cookie_is_set(shop, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "shorturl": {**settings.MARKETPLACE["shorturl"],
                                         "ATTRIBUTION_DAYS": 0}}
    response = Client().get("/s/newsletter")
    assert response.status_code == 302 and COOKIE not in response.cookies
