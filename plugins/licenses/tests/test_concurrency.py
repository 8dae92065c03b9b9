"""Fifty clients activating one key with a limit of five at once: exactly five
activations, however the requests interleave. Runs on SQLite and on PostgreSQL
(``--marketplace-db=postgres``), where the key row's lock does the work."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from marketplace_licenses import services
from marketplace_licenses.models import Activation, LicenseKey, LicensePolicy
from marketplace_licenses.services import LicenseError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

CLIENTS = 50
LIMIT = 5


def test_fifty_concurrent_activations_of_a_five_activation_key_make_five(buyer, product):
    from marketplace_core.testing.factories import buy

    LicensePolicy.objects.filter(product=product).update(activation_limit=LIMIT)
    key = LicenseKey.objects.get(purchase=buy(buyer, product))
    text = key.key
    barrier = Barrier(CLIENTS, timeout=120)

    def run(i: int) -> str:
        barrier.wait()
        try:
            services.activate(text, f"machine {i}")
        except LicenseError as exc:
            return exc.code
        finally:
            connection.close()  # each thread's own connection
        return "ok"

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = Counter(pool.map(run, range(CLIENTS)))

    assert outcomes == {"ok": LIMIT, "limit_reached": CLIENTS - LIMIT}
    assert Activation.objects.filter(license_key=key).count() == LIMIT
