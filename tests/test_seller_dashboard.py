"""The seller dashboard page and SellerDashboardAPI (seed §5), the panel
navigation, and where buyers land after paying (seed §6 PaymentSuccessView)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from marketplace_core.analytics.months import add_months, local_today
from marketplace_core.plugins.types import DashboardSeries, NavItem, SeriesPoint
from tests.panels_support import data_values, logged_in, refund, sell, text_of
from tests.payments_support import fake_plugins, plugin_module

pytestmark = pytest.mark.django_db

DASHBOARD_URL = "/seller/"
API_URL = "/api/v1/seller/dashboard"
CHART_JS = "marketplace_core/vendor/chartjs/chart.umd.min.js"


def mid_month(months_ago: int) -> dt.datetime:
    month = add_months(local_today().replace(day=1), -months_ago)
    return dt.datetime(month.year, month.month, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def shop(make_seller, make_user, make_product):
    """This month: 19.99 USD + 30.00 EUR (+ one refunded sale); last month: 19.99 USD;
    13 months ago: 19.99 USD (outside the chart, but its buyer is a customer)."""
    seller = make_seller()
    guide = make_product(seller=seller, title="Guide", price=1999, currency="USD")
    course = make_product(seller=seller, title="Course", price=3000, currency="EUR")
    alice, bob, carol = (make_user(name=n) for n in ("Alice", "Bob", "Carol"))
    sell(carol, guide, at=mid_month(13))
    sell(bob, guide, at=mid_month(1))
    sell(alice, guide)
    sell(alice, course)
    refund(sell(make_user(name="Refunded Rita"), course))
    return seller


@pytest.mark.by_database
def test_dashboard_shows_customers_revenue_per_currency_and_latest_buyers(shop):
    html = logged_in(shop).get(DASHBOARD_URL).content.decode()

    stats = dict(re.findall(r'data-stat="([^"]+)">(.*?)</div>', html, flags=re.S))
    assert text_of(stats["total-customers"]) == "Total customers 3"
    assert text_of(stats["revenue-this-month"]) == "Revenue this month €30.00 $19.99"
    latest = html.split('class="latest-buyers"', 1)[1].split("</table>", 1)[0]
    rows = [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", latest)[1:]]
    assert [row.split(" ")[0] for row in rows] == ["Alice", "Bob", "Carol"]  # Alice once
    assert rows[0].endswith(" 2") and rows[1].endswith(" 1")  # purchases per buyer
    assert "Rita" not in latest


def kpis(html: str) -> dict[str, str]:
    return {key: text_of(body) for key, body in
            re.findall(r'data-kpi="([^"]+)">(.*?)</div>', html, flags=re.S)}


def test_the_period_shows_kpis_against_the_previous_one_products_and_active_days(shop):
    """Last 7 days: Alice's guide and course, Rita's course refunded the same day; nothing in
    the 7 days before (Bob's sale is mid last month, at least 14 days ago)."""
    html = logged_in(shop).get(DASHBOARD_URL, {"period": "7d"}).content.decode()

    cards = re.findall(r'data-kpi="([^"]+)">(.*?)</div>', html, flags=re.S)
    assert [text_of(body) for key, body in cards if key == "net-revenue"] == [
        "Net revenue (EUR) €30.00 new vs €0.00", "Net revenue (USD) $19.99 new vs $0.00"]
    cards = kpis(html)
    assert cards["orders"] == "Sales 3 new vs 0"
    assert cards["customers"] == "Customers 2 new vs 0"
    assert cards["refunds"] == "Refunds 1 new vs 0 €30.00"
    assert cards["downloads"] == "Downloads 0"
    assert 'data-period="7d" aria-current="true"' in html
    table = html.split('class="product-performance"', 1)[1].split("</table>", 1)[0]
    rows = [text_of(r) for r in re.findall(r"<tr data-product[^>]*>(.*?)</tr>", table, re.S)]
    assert rows == ["Course 2 €60.00 1 0", "Guide 1 $19.99 0 0"]  # best sellers first
    assert "Views" not in table  # no analytics plugin
    buckets = dict(re.findall(r'<tr data-bucket="([^"]+)">(.*?)</tr>', html, flags=re.S))
    assert list(buckets) == [local_today().isoformat()]  # only days with sales
    assert text_of(buckets[local_today().isoformat()]).endswith("€30.00 · $19.99 3")
    assert 'data-dashboard-api="/api/v1/seller/dashboard?period=7d"' in html


def test_a_change_against_the_previous_period_reads_as_a_percentage():
    from marketplace_core.panels.dashboard import change_label

    assert change_label(150, 100) == ("+50%", "up")
    assert change_label(50, 100) == ("\u221250%", "down")
    assert change_label(3, 1, more_is_better=False) == ("+200%", "down")  # more refunds
    assert change_label(5, 0) == ("new", "up")
    assert change_label(0, 0) == ("", "flat")


def test_an_unknown_period_shows_the_default_one_and_says_so(shop):
    response = logged_in(shop).get(DASHBOARD_URL, {"period": "5y"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown period; showing the last 30 days." in html
    assert 'data-period="30d" aria-current="true"' in html


def test_a_new_seller_sees_an_empty_dashboard(make_seller):
    html = logged_in(make_seller()).get(DASHBOARD_URL).content.decode()

    stats = dict(re.findall(r'data-stat="([^"]+)">(.*?)</div>', html, flags=re.S))
    assert text_of(stats["total-customers"]) == "Total customers 0"
    assert text_of(stats["revenue-this-month"]) == (
        "Revenue this month \u2013 No sales yet this month"  # an en dash
    )
    assert "No sales in the last 30 days." in html
    assert "No products yet." in html
    assert "Nobody has bought your products yet." in html
    assert "Create your first product" in html


def test_dashboard_draws_charts_from_local_static_files(shop):
    html = logged_in(shop).get(DASHBOARD_URL).content.decode()

    assert f'<script src="/static/{CHART_JS}" defer></script>' in html
    assert '<script src="/static/marketplace_core/charts/dashboard.js" defer></script>' in html
    assert 'data-dashboard-api="/api/v1/seller/dashboard?period=30d"' in html
    assert "https://" not in html.split("</head>", 1)[0]
    chart_js = finders.find(CHART_JS)
    assert chart_js is not None
    with open(chart_js, encoding="utf-8") as handle:
        source = handle.read()
    assert source.startswith("/*!\n * Chart.js v4.")
    assert "sourceMappingURL" not in source


def test_static_files_collect_with_the_manifest_storage(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    assert list(tmp_path.glob("marketplace_core/vendor/chartjs/chart.umd.min.*.js"))
    assert list(tmp_path.glob("marketplace_core/charts/dashboard.*.js"))


@pytest.mark.by_database
@pytest.mark.parametrize(("url", "queries"), [
    # session, user with the person's seller/verified rows, latest buyers, the period's
    # figures (7 queries), latest products
    (DASHBOARD_URL, 14),
    # session, user with the person's rows, the period's figures (7 queries), customers,
    # revenue, refunds this month: no latest buyers
    (API_URL, 12),
], ids=["page", "api"])
@pytest.mark.parametrize("sales", [1, 20])
def test_dashboard_query_count_does_not_grow(sales, url, queries, make_seller, make_user,
                                             make_product, django_assert_num_queries):
    seller = make_seller()
    product = make_product(seller=seller)
    buyers = [make_user() for _ in range(sales)]
    for buyer in buyers:
        sell(buyer, product)
    client = logged_in(seller)

    with django_assert_num_queries(queries):
        response = client.get(url)

    assert response.status_code == 200
    text = response.content.decode()
    if url == API_URL:
        assert response.json()["total_customers"] == sales
    else:
        assert all(buyer.email in text for buyer in buyers[-10:])  # latest buyers listed


@pytest.mark.by_database
def test_api_gives_the_chart_series(shop):
    data = logged_in(shop).get(API_URL, {"period": "12m"}).json()

    assert data["period"] == "12m"
    assert data["total_customers"] == 3
    assert data["revenue_this_month"] == [
        {"currency": "EUR", "amount": 3000, "display": "€30.00"},
        {"currency": "USD", "amount": 1999, "display": "$19.99"},
    ]
    series = {s["key"]: s for s in data["series"]}
    assert list(series) == ["revenue-eur", "revenue-usd", "sales"]
    usd = series["revenue-usd"]
    assert (usd["label"], usd["unit"], len(usd["points"])) == ("Net revenue (USD)", "USD", 12)
    assert [p["value"] for p in usd["points"]][-2:] == [19.99, 19.99]
    assert usd["points"][-1]["label"] == local_today().strftime("%Y-%m")
    # This month: Alice's two and Rita's (refunded in the same month: no net revenue).
    assert [p["value"] for p in series["sales"]["points"]][-2:] == [1.0, 3.0]


def test_api_includes_plugin_series_and_refuses_unknown_periods(shop):
    def dashboard_series(seller, period):
        return [DashboardSeries(key="visits", label="Visits", unit="visits",
                                points=[SeriesPoint("2026-01", 42.0)])]

    client = logged_in(shop)
    with fake_plugins(plugin_module("fake_ga4", dashboard_series=dashboard_series)):
        data = client.get(API_URL).json()
    refused = client.get(API_URL, {"period": "5y"})

    assert data["series"][-1] == {"key": "visits", "label": "Visits", "unit": "visits",
                                  "note": "", "points": [{"label": "2026-01", "value": 42.0}]}
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Unknown period '5y'; use one of 7d, 30d, 90d, 12m.",
                              "code": "unknown_period"}


def test_api_url_is_reversible():
    assert reverse("marketplace-api:seller_dashboard") == API_URL


# ---------------------------------------------------------------------------
# navigation
# ---------------------------------------------------------------------------


def sidebar(html: str, label: str) -> str:
    return html.split(f'aria-label="{label}"', 1)[1].split("</nav>", 1)[0]


def test_seller_sidebar_lists_selling_pages_then_purchases(make_seller):
    html = logged_in(make_seller()).get("/seller/products/").content.decode()

    nav = sidebar(html, "Seller panel")
    assert data_values(nav, "nav") == ["seller-dashboard", "seller-products",
                                       "seller-categories", "seller-storefront", "seller-sales",
                                       "seller-customers", "seller-discounts", "seller-exports",
                                       "seller-api-keys", "seller-webhooks",
                                       "seller-my-products",
                                       "seller-order-history", "profile", "password"]
    assert 'data-nav="seller-products" aria-current="page"' in nav


def test_plugins_add_sidebar_links_to_either_panel(make_seller, make_user):
    def nav_items(request, area):
        if area == "customer":
            return [NavItem("My support requests", "/support/mine/", 300, "support-mine")]
        if area == "seller":
            return [NavItem("My support requests", "/support/seller-mine/", 850,
                            "support-seller-mine")]
        return []

    with fake_plugins(plugin_module("fake_support_nav", nav_items=nav_items)):
        seller_html = logged_in(make_seller()).get("/seller/").content.decode()
        customer_html = logged_in(make_user()).get("/account/products/").content.decode()

    assert data_values(sidebar(seller_html, "Seller panel"), "nav")[-3:] == [
        "support-seller-mine", "profile", "password"]
    assert data_values(sidebar(customer_html, "My account"), "nav") == [
        "my-products", "order-history", "support-mine", "profile", "password"]


def test_customers_never_get_seller_links(make_user):
    html = logged_in(make_user()).get("/account/orders/").content.decode()

    assert "seller-dashboard" not in html and 'aria-label="Seller panel"' not in html


# ---------------------------------------------------------------------------
# after payment
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "landing"), [("customer", "/account/products/"),
                                               ("seller", "/seller/purchases/")])
def test_after_payment_buyers_land_on_their_purchases(role, landing, make_user, make_seller,
                                                      make_product):
    buyer = make_seller() if role == "seller" else make_user()
    order = sell(buyer, make_product(title="Just Bought"))

    response = logged_in(buyer).get("/payments/success/", {"order": str(order.reference)},
                                    follow=True)

    assert response.redirect_chain == [(landing, 302)]
    assert "Just Bought" in response.content.decode()
