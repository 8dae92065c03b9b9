"""Benchmark: the seller dashboard's figures for a big shop, per period.

Usage (from the repository root)::

    python -m bench.dashboard                       # 1,000 products, 10,000 orders
    python -m bench.dashboard --products 5000 --orders 50000 --repeat 7

A fresh SQLite database (the example site's settings with the ``support`` plugin
only, ``DEBUG`` off, in a temporary folder; ``DATABASE_URL`` picks another database)
gets one seller with ``--products`` products and ``--orders`` paid orders spread over
the last 400 days, a tenth of them refunded, and five downloads of every fifth
product. Then, for each period, in one process: ``performance()`` (core's 7 aggregate
queries) and a whole ``GET /api/seller/dashboard``
through Django's test client (session, auth, the figures, the series, the JSON), best
and median of ``--repeat`` runs, with the number of queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", metavar="PERIOD",
                        help="print a cProfile of one API call for this period instead")
    args = parser.parse_args(argv)

    os.environ.setdefault("MARKETPLACE_VAR_DIR", tempfile.mkdtemp(prefix="bench-dashboard-"))
    os.environ.setdefault("MARKETPLACE_PLUGINS", "support")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "example_site"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from marketplace_core.analytics.performance import performance
    from marketplace_core.analytics.periods import PERIODS, period
    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import Download, Order, PurchasedProduct, Refund
    from marketplace_core.testing.factories import make_seller, make_user

    call_command("migrate", verbosity=0)
    seller = make_seller()
    buyers = [make_user() for _ in range(50)]
    now = timezone.now()
    products = Product.objects.bulk_create(
        Product(seller=seller, title=f"Bench {i}", slug=f"bench-{i}", price=100 + i,
                currency="USD" if i % 3 else "EUR", status=Product.Status.PUBLISHED)
        for i in range(args.products))
    orders = Order.objects.bulk_create(
        Order(buyer=buyers[i % len(buyers)], product=products[i % len(products)],
              amount=products[i % len(products)].price,
              currency=products[i % len(products)].currency, status=Order.Status.PAID,
              provider="dummy", paid_at=now - dt.timedelta(minutes=(i * 57_601) % 576_000))
        for i in range(args.orders))
    Refund.objects.bulk_create(
        Refund(order=order, provider="dummy", provider_refund_id=f"r{order.pk}",
               amount=order.amount, currency=order.currency) for order in orders[::10])
    purchases = PurchasedProduct.objects.bulk_create(
        PurchasedProduct(buyer_id=o.buyer_id, product_id=o.product_id, order=o,
                         granted_at=o.paid_at) for o in orders[:len(products):5])
    Download.objects.bulk_create(Download(purchase=p) for p in purchases for _ in range(5))
    client = Client()
    client.force_login(seller)

    if args.profile:
        import cProfile
        import pstats

        client.get("/api/seller/dashboard", {"period": args.profile})  # warm up
        profiler = cProfile.Profile()
        profiler.runcall(client.get, "/api/seller/dashboard", {"period": args.profile})
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    print(f"{args.products} products, {args.orders} orders, {connection.vendor}; "
          f"best / median of {args.repeat} runs")
    for key in PERIODS:
        for what, run in (("performance()", lambda k=key: performance(seller, period(k))),
                          ("GET /api/seller/dashboard",
                           lambda k=key: client.get("/api/seller/dashboard", {"period": k}))):
            times = []
            for _ in range(args.repeat):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - started)
            print(f"  {key:>4} {what:<26} {min(times) * 1000:7.1f} ms / "
                  f"{statistics.median(times) * 1000:7.1f} ms, {len(queries)} queries")


if __name__ == "__main__":
    main(sys.argv[1:])
