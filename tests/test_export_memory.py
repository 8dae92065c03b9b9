"""A CSV export of 100,000 orders streams with flat memory (measured in a real process).

The orders are bulk-created and committed; a separate Python process
(:mod:`tests.export_memory_child`) runs the export view over them and reports
its resident size after the same export over no rows (Django and every module
loaded: about 100 MiB by itself) and its peak after streaming the file; the
difference is what the export costs. Slow-ish (about half a minute on SQLite): the row count is
the point. Run on PostgreSQL too, where the rows come through a named
server-side cursor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.bulk_sales import bulk_orders, bulk_users

ORDERS = 100_000
MIB = 1024  # ru_maxrss counts KiB on Linux
ROOT = Path(__file__).resolve().parent.parent


def run_export(seller_id: int, kind: str) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.export_memory_child", str(connection.settings_dict["NAME"]),
         str(seller_id), kind],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)  # the child process must see the rows
def test_exporting_100000_orders_adds_under_100_mib(make_seller, make_product):
    seller = make_seller()
    product = make_product(seller=seller, title="Guide", price=1999, currency="USD")
    assert bulk_orders(bulk_users(1000), product, per_buyer=ORDERS // 1000) == ORDERS

    figures = run_export(seller.pk, "orders")

    assert figures["empty_lines"] == 1  # the header only
    assert figures["lines"] == ORDERS + 1
    peak, growth = figures["peak_kib"] / MIB, (figures["peak_kib"] - figures["baseline_kib"]) / MIB
    print(f"orders export: {figures['bytes'] / MIB / MIB:.1f} MiB of CSV; "
          f"peak RSS {peak:.1f} MiB, {growth:.1f} MiB above the baseline")
    assert growth < 100, figures
    # Flat: the export holds a few chunks of rows, never the file (12 MiB of CSV here).
    assert growth < 20, figures
