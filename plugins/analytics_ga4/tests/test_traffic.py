"""Traffic on the seller dashboard, end to end: the dashboard API, the plugin, Google's
client, HTTP, the fake GA4 (which checks every request like GA does)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from marketplace_analytics_ga4.tasks import refresh_traffic
from marketplace_analytics_ga4.traffic import NOT_CONFIGURED, SLOW

from marketplace_core.analytics.months import add_months, local_today
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import buy, logged_in
from tests.conftest import configure

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/seller/dashboard"


@pytest.fixture
def shop(make_seller, make_user, make_product):
    """Two products: the guide sold twice, the course not at all."""
    seller = make_seller()
    guide = make_product(seller=seller, title="Guide", price=1000)
    course = make_product(seller=seller, title="Course", price=5000)
    other = make_product(title="Someone else's")
    buy(make_user(), guide)
    buy(make_user(), guide)
    return {"seller": seller, "guide": guide, "course": course, "other": other}


def dashboard(shop, period="30d") -> dict:
    response = logged_in(shop["seller"]).get(API_URL, {"period": period})
    assert response.status_code == 200, response.content
    return response.json()


def by_title(data) -> dict:
    return {p["title"]: p for p in data["products"]}


def test_views_per_product_and_conversion_from_real_orders(fake_ga4, shop):
    today = local_today()
    guide, course = shop["guide"].get_absolute_url(), shop["course"].get_absolute_url()
    fake_ga4.add_traffic(guide, today, views=30, sessions=20, users=15)
    fake_ga4.add_traffic(guide, today - dt.timedelta(days=3), views=20, sessions=10, users=9)
    fake_ga4.add_traffic(course, today, views=8)
    fake_ga4.add_traffic(shop["other"].get_absolute_url(), today, views=500)  # not hers
    fake_ga4.add_traffic(guide, today - dt.timedelta(days=40), views=1000)  # before the period

    data = dashboard(shop)

    products = by_title(data)
    assert (products["Guide"]["views"], products["Guide"]["sales"]) == (50.0, 2)
    assert products["Guide"]["conversion_rate"] == pytest.approx(2 / 50)
    assert (products["Course"]["views"], products["Course"]["conversion_rate"]) == (8.0, 0.0)
    series = {s["key"]: s for s in data["series"]}
    views = {p["label"]: p["value"] for p in series["views"]["points"]}
    assert views[today.isoformat()] == 38.0
    assert views[(today - dt.timedelta(days=3)).isoformat()] == 20.0
    assert sum(views.values()) == 58.0 and len(views) == 30
    assert sum(p["value"] for p in series["sessions"]["points"]) == 38.0
    assert data["notes"] == []


def test_the_report_requests_are_shaped_as_ga_expects(fake_ga4, shop):
    dashboard(shop, "12m")

    by_time, by_path = fake_ga4.reports
    paths = sorted([shop["guide"].get_absolute_url(), shop["course"].get_absolute_url()])
    only_hers = {"filter": {"fieldName": "pagePath", "inListFilter": {"values": paths}}}
    first = add_months(local_today(), -11)  # the first of the month eleven months ago
    assert by_time["dateRanges"] == [{"startDate": first.isoformat(),
                                      "endDate": local_today().isoformat()}]
    assert by_time["dimensions"] == [{"name": "yearMonth"}]
    assert by_time["metrics"] == [{"name": "screenPageViews"}, {"name": "sessions"},
                                  {"name": "totalUsers"}]
    assert by_time["dimensionFilter"] == only_hers
    assert by_path["dimensions"] == [{"name": "pagePath"}]
    assert by_path["dimensionFilter"] == only_hers


def test_traffic_is_cached_per_seller_and_period(fake_ga4, shop):
    dashboard(shop)
    dashboard(shop)
    assert len(fake_ga4.reports) == 2  # one fetch: two reports

    dashboard(shop, "7d")
    assert len(fake_ga4.reports) == 4


def test_the_periodic_task_refreshes_what_sellers_looked_at(fake_ga4, shop):
    dashboard(shop)
    fake_ga4.add_traffic(shop["guide"].get_absolute_url(), local_today(), views=7)
    assert by_title(dashboard(shop))["Guide"]["views"] == 0.0  # cached before the visit

    assert refresh_traffic.delay().get() == 1

    assert by_title(dashboard(shop))["Guide"]["views"] == 7.0


@pytest.mark.parametrize("status", [403, 429, 500, 503])
def test_a_ga_error_leaves_the_sales_and_says_why_traffic_is_missing(fake_ga4, shop, status):
    fake_ga4.fail_next(status)

    data = dashboard(shop)

    assert data["current"]["orders"] == 2
    assert by_title(data)["Guide"]["sales"] == 2
    assert by_title(data)["Guide"]["views"] is None
    [note] = data["notes"]
    assert note.startswith("Traffic from Google Analytics is not shown: Google Analytics "
                           f"answered {status}")
    views = next(s for s in data["series"] if s["key"] == "views")
    assert (views["points"], views["note"]) == ([], note)


def test_after_a_failure_requests_do_not_ask_again_until_the_backoff(fake_ga4, shop):
    fake_ga4.fail_next(503)
    dashboard(shop)
    dashboard(shop)
    assert len(fake_ga4.reports) == 1


def test_a_slow_ga_never_holds_the_request_and_fills_the_cache_later(fake_ga4, shop, settings):
    configure(settings, REQUEST_TIMEOUT=0.3)
    fake_ga4.add_traffic(shop["guide"].get_absolute_url(), local_today(), views=12)
    fake_ga4.delay = 5.0

    data = dashboard(shop)

    assert fake_ga4.reports == []  # the page answered before GA did
    assert data["notes"] == [SLOW]
    assert data["current"]["orders"] == 2
    # The fetch went on in the background and filled the cache.
    wait_until(lambda: by_title(dashboard(shop))["Guide"]["views"] == 12.0, timeout=30,
               what="the background fetch to fill the cache")


def test_wrong_credentials_are_explained(fake_ga4, shop, settings):
    other = type(fake_ga4)()  # a key GA does not know
    configure(settings, CREDENTIALS=other.service_account_json())

    [note] = dashboard(shop)["notes"]

    assert "answered 401" in note


def test_unreachable_ga_is_explained(fake_ga4, shop, settings):
    configure(settings, DATA_API_ENDPOINT="http://127.0.0.1:9")  # discard port: refused

    [note] = dashboard(shop)["notes"]

    assert "could not be reached" in note


def test_without_configuration_the_dashboard_says_so(shop, settings):
    settings.MARKETPLACE = {k: v for k, v in settings.MARKETPLACE.items()
                            if k != "analytics_ga4"}
    cache.clear()

    data = dashboard(shop)

    assert data["notes"] == [NOT_CONFIGURED]
    assert data["current"]["orders"] == 2
    assert by_title(data)["Guide"]["conversion_rate"] is None


@pytest.mark.parametrize("extra_products", [0, 25])
def test_traffic_adds_one_query_whatever_the_number_of_products(
        fake_ga4, shop, make_product, extra_products, django_assert_num_queries):
    for _ in range(extra_products):
        make_product(seller=shop["seller"])
    client = logged_in(shop["seller"])
    client.get(API_URL)  # fills the cache

    # Core's 12 (see tests/test_seller_dashboard.py) and the plugin's product paths.
    with django_assert_num_queries(13):
        response = client.get(API_URL)

    assert len(response.json()["products"]) == 2 + extra_products
