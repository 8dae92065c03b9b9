"""Seller analytics against a hand-computed fixture (seed §5 SellerDashboardView).

The fixture, for seller S on 15 January 2026 (UTC), with a 12-month window
February 2025 ... January 2026:

======================  =====  ==========  ====================================
paid at (UTC)           buyer  product     counts?
======================  =====  ==========  ====================================
2024-12-20 10:00        A      P1 USD 10   customer; before the window
2025-01-31 23:00        H      P1 USD 10   customer; January 2025, just outside
2025-02-01 00:30        B      P1 USD 10   February 2025, the window's first day
2025-12-31 23:59        C      P2 EUR 25   December 2025 (year boundary)
2026-01-01 00:01        A      P2 EUR 25   January 2026
2026-01-10 09:00        D      P1 USD 10   fully refunded: never counts
2026-01-12 09:00        E      P1 USD 10   partial refund of 3.00: 7.00 counts
2026-01-14 09:00        B      P3 USD 5    another seller's product
(pending)               F      P1          not paid
(failed)                G      P1          not paid
======================  =====  ==========  ====================================

So: 5 customers (A, B, C, E, H); January 2026 = 25.00 EUR + 7.00 USD from 2
sales; December 2025 = 25.00 EUR; February 2025 = 10.00 USD; every other
month of the window is empty; USD and EUR are never added together.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from marketplace_core.analytics.months import add_months, last_months
from marketplace_core.analytics.performance import performance
from marketplace_core.analytics.periods import period
from marketplace_core.analytics.sales import (
    latest_buyers,
    monthly_revenue,
    seller_summary,
    total_customers,
)
from marketplace_core.analytics.series import dashboard_series
from marketplace_core.ownership import services
from marketplace_core.plugins.types import DashboardSeries, SeriesPoint
from tests.panels_support import fail, refund, sell
from tests.payments_support import fake_plugins, plugin_module

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def shop(make_seller, make_user, make_product):
    seller, other_seller = make_seller(), make_seller()
    p1 = make_product(seller=seller, title="P1", price=1000, currency="USD")
    p2 = make_product(seller=seller, title="P2", price=2500, currency="EUR")
    p3 = make_product(seller=other_seller, title="P3", price=500, currency="USD")
    buyers = {name: make_user(name=f"Buyer {name}", email=f"{name.lower()}@example.com")
              for name in "ABCDEFGH"}
    sell(buyers["A"], p1, at=at(2024, 12, 20, 10, 0))
    sell(buyers["H"], p1, at=at(2025, 1, 31, 23, 0))
    sell(buyers["B"], p1, at=at(2025, 2, 1, 0, 30))
    sell(buyers["C"], p2, at=at(2025, 12, 31, 23, 59))
    sell(buyers["A"], p2, at=at(2026, 1, 1, 0, 1))
    refunded, partly = (sell(buyers["D"], p1, at=at(2026, 1, 10, 9, 0)),
                        sell(buyers["E"], p1, at=at(2026, 1, 12, 9, 0)))
    with time_machine.travel(at(2026, 1, 13, 9, 0), tick=False):  # refunds in January too
        refund(refunded)
        assert refund(partly, amount=300) == services.Outcome.RECORDED
    sell(buyers["B"], p3, at=at(2026, 1, 14, 9, 0))
    services.start_checkout(buyer=buyers["F"], product=p1, provider="dummy")
    fail(buyers["G"], p1)
    return {"seller": seller, "other_seller": other_seller, "buyers": buyers}


def amounts_by_month(months) -> dict[str, dict[str, int]]:
    return {m.month.strftime("%Y-%m"): m.amounts for m in months if m.amounts}


# ---------------------------------------------------------------------------
# months
# ---------------------------------------------------------------------------


def test_twelve_months_end_with_the_current_one_across_the_year_boundary():
    months = last_months(12, today=dt.date(2026, 1, 15))
    assert months[0] == dt.date(2025, 2, 1)
    assert months[-1] == dt.date(2026, 1, 1)
    assert len(set(months)) == 12
    assert add_months(dt.date(2025, 12, 1), 1) == dt.date(2026, 1, 1)
    assert add_months(dt.date(2026, 1, 1), -13) == dt.date(2024, 12, 1)


@pytest.mark.parametrize(("day", "count", "month"), [
    (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 1)),    # no February 31: still February
    (dt.date(2025, 3, 31), -1, dt.date(2025, 2, 1)),
    (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 1)),    # leap year
    (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 1)),   # from a leap day to a year without one
    (dt.date(2024, 2, 29), -48, dt.date(2020, 2, 1)),
    (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 1)),   # December to January
    (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 1)),  # January back to December
    (dt.date(2025, 6, 30), 0, dt.date(2025, 6, 1)),
    (dt.date(2025, 5, 31), 25, dt.date(2027, 6, 1)),
])
def test_add_months_gives_the_first_day_of_the_right_month_from_any_day(day, count, month):
    assert add_months(day, count) == month


@pytest.mark.parametrize(("today", "first", "last"), [
    (dt.date(2024, 3, 31), dt.date(2023, 4, 1), dt.date(2024, 3, 1)),   # leap year, 31st
    (dt.date(2024, 2, 29), dt.date(2023, 3, 1), dt.date(2024, 2, 1)),   # on the leap day
    (dt.date(2025, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 12, 1)),  # a calendar year
])
def test_twelve_months_are_consecutive_from_month_ends_and_leap_days(today, first, last):
    months = last_months(12, today=today)

    assert (months[0], months[-1]) == (first, last)
    indexes = [m.year * 12 + m.month for m in months]
    assert indexes == list(range(indexes[0], indexes[0] + 12))  # no month skipped or repeated
    assert [m.day for m in months] == [1] * 12


# ---------------------------------------------------------------------------
# the fixture
# ---------------------------------------------------------------------------


def test_total_customers_counts_distinct_paying_buyers_of_the_seller(shop):
    assert total_customers(shop["seller"]) == 5  # A, B, C, E, H; D was refunded
    assert total_customers(shop["other_seller"]) == 1


def test_monthly_revenue_matches_the_hand_computed_fixture(shop):
    months = monthly_revenue(shop["seller"], now=NOW)

    assert [m.month for m in months] == last_months(12, today=dt.date(2026, 1, 15))
    assert amounts_by_month(months) == {
        "2025-02": {"USD": 1000},
        "2025-12": {"EUR": 2500},
        "2026-01": {"EUR": 2500, "USD": 700},
    }
    assert [m.sales for m in months] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]


def test_summary_keeps_currencies_apart(shop):
    summary = seller_summary(shop["seller"], now=NOW)

    assert summary.currencies == ["EUR", "USD"]
    assert summary.this_month.amounts == {"EUR": 2500, "USD": 700}
    assert summary.period_total("USD") == 1700
    assert summary.period_total("EUR") == 5000


def test_latest_buyers_are_distinct_with_their_newest_counted_sale(shop):
    latest = seller_summary(shop["seller"], now=NOW).latest_buyers

    # A bought twice and is listed once, with the newer sale; D was refunded;
    # B's purchase from the other seller does not count here.
    assert [(b.buyer_name, b.product_title, b.amount_display, b.purchases)
            for b in latest] == [
        ("Buyer E", "P1", "$10.00", 1),
        ("Buyer A", "P2", "€25.00", 2),
        ("Buyer C", "P2", "€25.00", 1),
        ("Buyer B", "P1", "$10.00", 1),
        ("Buyer H", "P1", "$10.00", 1),
    ]


def test_latest_buyers_stop_at_the_limit(shop):
    latest = latest_buyers(shop["seller"], limit=2)

    assert [b.buyer_name for b in latest] == ["Buyer E", "Buyer A"]


def test_months_follow_the_current_time_zone(shop):
    # In Berlin (UTC+1) C's purchase at 23:59 UTC on 31 December is on 1 January,
    # and H's at 23:00 UTC on 31 January 2025 is on 1 February: inside the window.
    with timezone.override("Europe/Berlin"):
        months = monthly_revenue(shop["seller"], now=NOW)

    assert amounts_by_month(months) == {
        "2025-02": {"USD": 2000},
        "2026-01": {"EUR": 5000, "USD": 700},
    }


def test_a_seller_without_sales_has_twelve_empty_months(make_seller):
    summary = seller_summary(make_seller(), now=NOW)

    assert summary.total_customers == 0
    assert len(summary.months) == 12
    assert all(m.amounts == {} and m.sales == 0 for m in summary.months)
    assert summary.currencies == []
    assert summary.latest_buyers == []


@pytest.mark.parametrize("sales", [1, 30])
def test_summary_runs_four_queries_whatever_the_number_of_sales(
    sales, make_seller, make_user, make_product, django_assert_num_queries
):
    seller = make_seller()
    product = make_product(seller=seller, price=1000)
    for i in range(sales):
        order = sell(make_user(), product)
        if i % 3 == 0:
            refund(order, amount=100)

    with django_assert_num_queries(4):
        summary = seller_summary(seller)

    assert summary.total_customers == sales
    assert summary.this_month.sales == sales


# ---------------------------------------------------------------------------
# chart series
# ---------------------------------------------------------------------------


def test_series_have_one_revenue_line_per_currency_and_the_sales_count(shop):
    report = performance(shop["seller"], period("12m", now=NOW))

    series = {s.key: s for s in dashboard_series(shop["seller"], report)}

    assert list(series) == ["revenue-eur", "revenue-usd", "sales"]
    assert series["revenue-usd"].unit == "USD"
    assert series["revenue-usd"].points[0] == SeriesPoint("2025-02", 10.0)
    assert series["revenue-usd"].points[-1] == SeriesPoint("2026-01", 7.0)
    assert series["revenue-eur"].points[-2:] == [SeriesPoint("2025-12", 25.0),
                                                 SeriesPoint("2026-01", 25.0)]
    # January: A's, E's, and D's sale (refunded in January, so its -10.00 is there too).
    assert [p.value for p in series["sales"].points][-2:] == [1.0, 3.0]


def test_plugins_add_series_and_a_failing_plugin_is_left_out(shop):
    def visits(seller, period):
        assert period == "12m"
        return [DashboardSeries(key="visits", label="Visits",
                                points=[SeriesPoint("2026-01", 42.0)])]

    def broken(seller, period):
        raise RuntimeError("the analytics service is down")

    report = performance(shop["seller"], period("12m", now=NOW))
    with fake_plugins(plugin_module("fake_visits", dashboard_series=visits),
                      plugin_module("fake_broken", dashboard_series=broken)):
        keys = [s.key for s in dashboard_series(shop["seller"], report)]

    assert keys == ["revenue-eur", "revenue-usd", "sales", "visits"]
