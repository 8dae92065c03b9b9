"""A code with ten uses, a hundred buyers checking out with it at once: ten
discounted orders, however the checkouts interleave.

The checkouts run in threads released together, each with its own database
connection. Runs on SQLite and on PostgreSQL (``--marketplace-db=postgres``),
where the checkouts really overlap and the code's row lock does the work.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from marketplace_core.discounts.models import DiscountCode
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

BUYERS = 100
LIMIT = 10
PRODUCTS = 25


def test_a_hundred_checkouts_with_a_ten_use_code_make_ten_discounted_orders(
        make_seller, make_user, make_product):
    seller = make_seller()
    # Many products: the product row's lock alone would serialize checkouts of one.
    products = [make_product(seller=seller, price=2000, content=None) for _ in range(PRODUCTS)]
    code = DiscountCode.objects.create(seller=seller, code="TEN", percent=50,
                                       usage_limit=LIMIT)
    buyers = [make_user() for _ in range(BUYERS)]
    barrier = Barrier(BUYERS, timeout=120)

    def run(i: int) -> str:
        barrier.wait()
        try:
            services.start_checkout(buyer=buyers[i], product=products[i % PRODUCTS],
                                    provider="dummy", discount_code="ten")
        except Rejected as exc:
            return exc.code
        finally:
            connection.close()  # each thread's own connection
        return "ok"

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        outcomes = Counter(pool.map(run, range(BUYERS)))

    assert outcomes == {"ok": LIMIT, "discount_exhausted": BUYERS - LIMIT}
    assert Order.objects.filter(discount_code=code, amount=1000).count() == LIMIT
