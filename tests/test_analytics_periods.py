"""Seller figures by period (7d, 30d, 90d, 12m) against the period before.

The fixture, for seller S on 15 March 2026 12:00 in Europe/Paris (UTC+1), period 30d:
the window is 14 February 00:00 ... now (local), the previous one 15 January
00:00 ... 13 February 12:00.

=====================  =====  ===========  ======================================
paid at (local)        buyer  product      counts in
=====================  =====  ===========  ======================================
2026-01-14 23:59       A      P1 USD 10    nothing: a minute before the previous window
2026-01-15 00:01       B      P1 USD 10    previous
2026-02-10 10:00       B      P2 EUR 25    previous; refunded 5.00 on 2026-03-01 (current)
2026-02-13 23:59       F      P1 USD 10    nothing: after the previous window's end time
2026-02-14 00:01       C      P1 USD 10    current
2026-03-10 10:00       D      P1 USD 10    current; fully refunded on 2026-03-11 (current)
2026-03-12 10:00       C      P2 EUR 25    current; downloaded twice
2026-03-12 10:00       E      P3 USD 5     another seller's product: never
=====================  =====  ===========  ======================================

Current: 3 orders (C, D, C), revenue 20.00 USD + 25.00 EUR, 2 refunds (10.00 USD,
5.00 EUR), net 10.00 USD + 20.00 EUR, 2 customers, 2 downloads.
Previous: 2 orders, 10.00 USD + 25.00 EUR, no refunds, 1 customer (B twice).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from marketplace_core.analytics.performance import QUERIES, change, performance
from marketplace_core.analytics.periods import PERIODS, UnknownPeriod, period
from marketplace_core.analytics.series import dashboard_series
from marketplace_core.ownership.models import Download, Order, PurchasedProduct
from marketplace_core.testing.factories import logged_in
from tests.panels_support import refund, sell

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=PARIS)
API_URL = "/api/v1/seller/dashboard"


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    with timezone.override(PARIS):
        yield


@pytest.fixture
def shop(paris, make_seller, make_user, make_product):
    seller = make_seller()
    p1 = make_product(seller=seller, title="P1", price=1000, currency="USD")
    p2 = make_product(seller=seller, title="P2", price=2500, currency="EUR")
    p3 = make_product(title="P3", price=500, currency="USD")
    a, b, c, d, e, f = (make_user(name=n) for n in "ABCDEF")
    sell(a, p1, at=local(2026, 1, 14, 23, 59))
    sell(b, p1, at=local(2026, 1, 15, 0, 1))
    eur = sell(b, p2, at=local(2026, 2, 10, 10, 0))
    sell(f, p1, at=local(2026, 2, 13, 23, 59))
    sell(c, p1, at=local(2026, 2, 14, 0, 1))
    refunded = sell(d, p1, at=local(2026, 3, 10, 10, 0))
    downloaded = sell(c, p2, at=local(2026, 3, 12, 10, 0))
    sell(e, p3, at=local(2026, 3, 12, 10, 0))
    with time_machine.travel(local(2026, 3, 1, 9, 0), tick=False):
        refund(eur, amount=500)
    with time_machine.travel(local(2026, 3, 11, 9, 0), tick=False):
        refund(refunded)
    purchase = PurchasedProduct.objects.get(order=downloaded)
    for when in (local(2026, 3, 12, 11, 0), local(2026, 3, 13, 11, 0)):
        with time_machine.travel(when, tick=False):
            Download.objects.create(purchase=purchase)
    return {"seller": seller, "p1": p1, "p2": p2}


def test_periods_start_at_local_midnight_and_the_previous_one_is_as_long():
    with timezone.override(PARIS):
        thirty = period("30d", now=NOW)
        year = period("12m", now=NOW)
        week = period("7d", now=NOW)

    assert thirty.current.start == local(2026, 2, 14)
    assert thirty.current.end == NOW
    assert thirty.previous.start == local(2026, 1, 15)
    assert thirty.previous.end == local(2026, 2, 13, 12, 0)
    assert (len(thirty.buckets), thirty.labels[0], thirty.labels[-1]) == (
        30, "2026-02-14", "2026-03-15")
    assert week.labels == [f"2026-03-{day:02d}" for day in range(9, 16)]
    assert year.current.start == local(2025, 4, 1)
    assert year.previous.start == local(2024, 4, 1)
    assert year.labels[0] == "2025-04" and year.labels[-1] == "2026-03"
    assert list(PERIODS) == ["7d", "30d", "90d", "12m"]


def test_an_unknown_period_is_refused_by_name():
    with pytest.raises(UnknownPeriod, match="'5y'; use one of 7d, 30d, 90d, 12m"):
        period("5y")


def test_figures_match_the_hand_computed_fixture(shop):
    report = performance(shop["seller"], period("30d", now=NOW))

    now, before = report.current, report.previous
    assert (now.orders, now.revenue, now.customers) == (3, {"USD": 2000, "EUR": 2500}, 2)
    assert (now.refunds, now.refunded) == (2, {"USD": 1000, "EUR": 500})
    assert now.net_revenue == {"EUR": 2000, "USD": 1000}
    assert now.downloads == 2
    assert (before.orders, before.revenue, before.customers) == (
        2, {"USD": 1000, "EUR": 2500}, 1)
    assert (before.refunds, before.refunded, before.downloads) == (0, {}, 0)
    assert report.currencies == ["EUR", "USD"]


def test_products_have_their_own_figures_and_unsold_ones_are_listed(shop, make_product):
    unsold = make_product(seller=shop["seller"], title="Unsold")

    report = performance(shop["seller"], period("30d", now=NOW))

    rows = {p.title: p for p in report.products}
    assert list(rows) == ["Unsold", "P2", "P1"]  # newest first
    p1, p2 = rows["P1"], rows["P2"]
    assert (p1.sales, p1.revenue, p1.refunds, p1.refunded, p1.downloads) == (
        2, {"USD": 2000}, 1, {"USD": 1000}, 0)
    assert (p2.sales, p2.revenue, p2.refunds, p2.refunded, p2.downloads) == (
        1, {"EUR": 2500}, 1, {"EUR": 500}, 2)
    assert (rows["Unsold"].sales, rows["Unsold"].revenue) == (0, {})
    assert rows["Unsold"].path == unsold.get_absolute_url()


def test_chart_buckets_are_local_days_with_net_revenue(shop):
    report = performance(shop["seller"], period("30d", now=NOW))

    series = {s.key: s for s in dashboard_series(shop["seller"], report)}
    usd = {p.label: p.value for p in series["revenue-usd"].points}
    assert len(usd) == 30
    # The 00:01 sale belongs to the 14th locally (23:01 on the 13th in UTC).
    assert usd["2026-02-14"] == 10.0
    assert usd["2026-03-10"] == 10.0 and usd["2026-03-11"] == -10.0
    assert {p.label: p.value for p in series["revenue-eur"].points}["2026-03-01"] == -5.0
    assert sum(p.value for p in series["sales"].points) == 3


def test_a_month_change_splits_23_59_and_00_01_in_the_sellers_time_zone(
        paris, make_seller, make_user, make_product):
    seller = make_seller()
    product = make_product(seller=seller, price=1000)
    sell(make_user(), product, at=local(2026, 2, 28, 23, 59))  # 22:59 UTC
    sell(make_user(), product, at=local(2026, 3, 1, 0, 1))     # 23:01 UTC, still February

    report = performance(seller, period("12m", now=NOW))

    months = {period_label: b.orders for period_label, b in
              zip(report.period.labels, report.buckets, strict=True)}
    assert (months["2026-02"], months["2026-03"]) == (1, 1)


def test_change_against_the_previous_period():
    assert change(150, 100) == 0.5
    assert change(50, 100) == -0.5
    assert change(10, 0) is None


def test_a_fixed_number_of_queries_with_1000_products_and_10000_orders(
        make_seller, make_user, django_assert_num_queries):
    from marketplace_core.catalog.models import Product

    seller = make_seller()
    buyers = [make_user() for _ in range(20)]
    now = timezone.now()
    products = Product.objects.bulk_create(
        Product(seller=seller, title=f"Bulk {i}", slug=f"bulk-{i}", price=100 + i,
                currency="USD" if i % 2 else "EUR", status=Product.Status.PUBLISHED)
        for i in range(1000)
    )
    orders = Order.objects.bulk_create(
        Order(buyer=buyers[i % 20], product=products[i % 1000], amount=products[i % 1000].price,
              currency=products[i % 1000].currency, status=Order.Status.PAID, provider="dummy",
              paid_at=now - dt.timedelta(hours=i % 1400))
        for i in range(10_000)
    )
    PurchasedProduct.objects.bulk_create(
        PurchasedProduct(buyer_id=order.buyer_id, product_id=order.product_id, order=order,
                         granted_at=order.paid_at) for order in orders[:500]
    )
    with time_machine.travel(now - dt.timedelta(hours=1), tick=False):
        Download.objects.bulk_create(Download(purchase=purchase)
                                     for purchase in PurchasedProduct.objects.all()[:300])

    window = period("30d", now=now)
    with django_assert_num_queries(QUERIES):
        report = performance(seller, window)

    assert len(report.products) == 1000
    paid = [order.paid_at for order in orders]
    assert report.current.orders == sum(
        window.current.start <= at < window.current.end for at in paid)
    assert report.previous.orders == sum(
        window.previous.start <= at < window.previous.end for at in paid)
    assert report.current.customers == 20
    assert report.current.downloads == 300
    assert sum(p.sales for p in report.products) == report.current.orders


def test_api_answers_the_period_with_its_comparison_and_products(shop):
    with time_machine.travel(NOW, tick=False):
        data = logged_in(shop["seller"]).get(API_URL, {"period": "30d"}).json()

    assert data["period"] == "30d"
    assert data["window"] == {
        "key": "30d", "label": "Last 30 days", "start": "2026-02-14", "end": "2026-03-15",
        "previous_start": "2026-01-15", "previous_end": "2026-02-13", "bucket": "day",
        "time_zone": "Europe/Paris"}
    assert data["current"]["net_revenue"] == [
        {"currency": "EUR", "amount": 2000, "display": "€20.00"},
        {"currency": "USD", "amount": 1000, "display": "$10.00"}]
    assert (data["current"]["orders"], data["previous"]["orders"]) == (3, 2)
    p2 = next(p for p in data["products"] if p["title"] == "P2")
    assert (p2["sales"], p2["refunds"], p2["downloads"], p2["views"],
            p2["conversion_rate"]) == (1, 1, 2, None, None)
    assert p2["url"] == shop["p2"].get_absolute_url()
    assert data["notes"] == []


@pytest.mark.parametrize("bad", ["5y", "", "30D", "12m "])
def test_api_refuses_a_bad_period_with_a_json_400(shop, bad):
    response = logged_in(shop["seller"]).get(API_URL, {"period": bad})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "use one of 7d, 30d, 90d, 12m" in response.json()["detail"]


def test_the_api_schema_is_in_openapi(make_seller):
    schema = logged_in(make_seller()).get("/api/v1/openapi.json").json()

    operation = schema["paths"][API_URL]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    dashboard = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"current", "previous", "products", "series", "notes", "window"} <= set(
        dashboard["properties"])
    assert [p["name"] for p in operation["parameters"]] == ["period"]


def test_a_plugins_views_give_each_products_views_and_conversion_and_its_note(shop):
    from marketplace_core.plugins.types import DashboardSeries
    from tests.payments_support import fake_plugins, plugin_module

    p1, p2 = shop["p1"], shop["p2"]

    def with_views(seller, period):
        return [DashboardSeries(key="views", label="Views", points=[],
                                per_product={p1.pk: 40.0}),
                DashboardSeries(key="wishlist", label="Wishlisted", points=[],
                                per_product={p2.pk: 3.0})]

    def without(seller, period):
        return [DashboardSeries(key="views", label="Views", points=[],
                                note="The analytics service is down.")]

    client = logged_in(shop["seller"])
    with time_machine.travel(NOW, tick=False):
        with fake_plugins(plugin_module("fake_views", dashboard_series=with_views)):
            products = {p["title"]: p for p in client.get(API_URL).json()["products"]}
        with fake_plugins(plugin_module("fake_down", dashboard_series=without)):
            down = client.get(API_URL).json()

    assert (products["P1"]["views"], products["P1"]["conversion_rate"]) == (40.0, 2 / 40)
    assert (products["P2"]["views"], products["P2"]["conversion_rate"]) == (0.0, None)
    assert products["P2"]["metrics"] == {"wishlist": 3.0}
    assert down["notes"] == ["The analytics service is down."]
    assert all(p["views"] is None for p in down["products"])
