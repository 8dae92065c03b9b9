"""The seller dashboard in a real browser: the charts are drawn from
SellerDashboardAPI with the site's own Chart.js, and the numbers on the page
and in the charts are the fixture's.

Fixture (relative to the current month M, in UTC as the example site is):

- M: Alice buys the Guide (19.99 USD) and the Course (30.00 EUR); Rita buys
  the Course and is refunded;
- M-1: Bob buys the Guide (19.99 USD);
- M-11: Carol buys the Guide (19.99 USD), the first month the chart shows;
- M-13: Dan buys the Guide: a customer, but outside the chart.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from marketplace_core.analytics.months import add_months, local_today
from tests.panels_support import refund, sell

from .test_seller_panel_browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def mid_month(months_ago: int) -> dt.datetime:
    month = add_months(local_today().replace(day=1), -months_ago)
    return dt.datetime(month.year, month.month, 15, 12, 0, tzinfo=dt.UTC)


def chart_values(page, key: str) -> list[float]:
    return page.evaluate(
        """key => {
            const canvas = document.querySelector(`figure[data-series="${key}"] canvas`);
            return Chart.getChart(canvas).data.datasets[0].data;
        }""",
        key,
    )


def chart_labels(page, key: str) -> list[str]:
    return page.evaluate(
        """key => Chart.getChart(
            document.querySelector(`figure[data-series="${key}"] canvas`)).data.labels""",
        key,
    )


def test_dashboard_charts_and_numbers_match_the_fixture(
    live_server, page, make_seller, make_user, make_product
):
    seller = make_seller(name="Sam Seller")
    guide = make_product(seller=seller, title="Guide", price=1999, currency="USD")
    course = make_product(seller=seller, title="Course", price=3000, currency="EUR")
    names = ("Alice", "Bob", "Carol", "Dan", "Rita")
    alice, bob, carol, dan, rita = (make_user(name=n) for n in names)
    sell(dan, guide, at=mid_month(13))
    sell(carol, guide, at=mid_month(11))
    sell(bob, guide, at=mid_month(1))
    sell(alice, guide)
    sell(alice, course)
    refund(sell(rita, course))
    log_in(page, live_server, seller)

    page.goto(f"{live_server.url}/seller/?period=12m")
    page.locator('.charts[data-state="ready"]').wait_for()

    customers = page.locator('[data-stat="total-customers"] .stat-value')
    assert customers.inner_text() == "4"  # Alice, Bob, Carol, Dan; Rita was refunded
    revenue = page.locator('[data-stat="revenue-this-month"] .stat-value')
    assert revenue.all_inner_texts() == ["€30.00", "$19.99"]

    figures = page.locator("figure.chart")
    assert figures.evaluate_all("els => els.map(e => e.dataset.series)") == [
        "revenue-eur", "revenue-usd", "sales"]
    for key in ("revenue-eur", "revenue-usd", "sales"):
        canvas = page.locator(f'figure[data-series="{key}"] canvas')
        assert canvas.is_visible()
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    months = [add_months(local_today().replace(day=1), -n).strftime("%Y-%m")
              for n in range(11, -1, -1)]
    assert chart_labels(page, "revenue-usd") == months
    assert chart_values(page, "revenue-usd") == [19.99] + [0] * 9 + [19.99, 19.99]
    assert chart_values(page, "revenue-eur") == [0] * 11 + [30]
    # Rita's sale counts in M (it was made then); its refund takes it out of M's revenue.
    assert chart_values(page, "sales") == [1] + [0] * 9 + [1, 3]

    latest = page.locator("table.latest-buyers tbody tr")
    # Each buyer once, newest first; Alice's row shows her latest purchase.
    assert [t.split()[0] for t in latest.all_inner_texts()] == ["Alice", "Bob", "Carol", "Dan"]
    assert "Course" in latest.first.inner_text()
    assert page.console_errors == []


def test_one_sale_on_a_phone_is_readable_and_the_table_sorts(
    live_server, page, make_seller, make_user, make_product
):
    """390 px wide (a phone), one sale in 30 days: the page fits the screen, the charts are
    drawn (one bar, not a wall of empty ones), and the product table sorts by a column.
    The screenshot is kept in test-artifacts/ for a person to look at."""
    seller = make_seller(name="Sam Seller")
    guide = make_product(seller=seller, title="Guide", price=1999, currency="USD")
    make_product(seller=seller, title="Atlas", price=500, currency="USD")
    sell(make_user(name="Alice"), guide)
    log_in(page, live_server, seller)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/seller/")
    page.locator('.charts[data-state="ready"]').wait_for()

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator('[data-kpi="orders"] .stat-value').inner_text() == "1"
    assert chart_values(page, "revenue-usd").count(19.99) == 1
    assert len(chart_labels(page, "revenue-usd")) == 30
    for key in ("revenue-usd", "sales"):
        box = page.locator(f'figure[data-series="{key}"] canvas').bounding_box()
        assert box is not None and 250 < box["width"] <= 390 and box["height"] > 100
    rows = page.locator("table.product-performance tbody th")
    assert rows.all_inner_texts() == ["Guide", "Atlas"]  # best seller first
    page.locator("table.product-performance thead button", has_text="Product").click()
    assert rows.all_inner_texts() == ["Atlas", "Guide"]
    header = page.locator("table.product-performance thead th").first
    assert header.get_attribute("aria-sort") == "ascending"
    page.locator("table.product-performance thead button", has_text="Revenue").click()
    assert rows.all_inner_texts() == ["Guide", "Atlas"]
    folder = Path(os.environ.get("MARKETPLACE_TEST_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "seller-dashboard-390px.png"), full_page=True)
    assert page.console_errors == []
