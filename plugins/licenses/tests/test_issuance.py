"""A key per purchase: issued when ownership is granted (once, however often the
event is delivered, concurrently too), never stored in clear, disabled by a
refund through core's real refund path."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from marketplace_licenses import keys, services
from marketplace_licenses.models import LicenseKey, LicensePolicy

from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.testing.factories import buy

KEY_FORMAT = re.compile(r"^[A-Z2-7]{6}(-[A-Z2-7]{6}){5}$")


@pytest.mark.django_db
def test_buying_a_key_product_issues_one_readable_key(purchase, license_key):
    assert KEY_FORMAT.match(license_key.key)
    assert license_key.activation_limit == 3
    assert license_key.expires_at is None
    assert license_key.status == "active"
    assert license_key.prefix == license_key.key[:6]


@pytest.mark.django_db
def test_the_key_is_not_stored_in_clear(license_key):
    row = LicenseKey.objects.filter(pk=license_key.pk).values().get()
    bare = license_key.key.replace("-", "")
    assert not any(bare in str(value) or license_key.key in str(value)
                   for value in row.values())
    assert row["key_hash"] == keys.lookup_hash(bare)


@pytest.mark.django_db
def test_keys_differ_between_purchases(paid, make_user, product, license_key):
    other = LicenseKey.objects.get(purchase=paid(make_user(), product))
    assert other.key != license_key.key


@pytest.mark.django_db
def test_a_product_without_keys_issues_none(paid, buyer, make_product, seller):
    plain = make_product(seller=seller)
    LicensePolicy.objects.create(product=plain, issue_keys=False)
    assert not LicenseKey.objects.filter(purchase=paid(buyer, plain)).exists()
    no_policy = make_product(seller=seller)
    assert not LicenseKey.objects.filter(purchase=paid(buyer, no_policy)).exists()


@pytest.mark.django_db
def test_a_repeated_ownership_granted_keeps_the_one_key(purchase, license_key):
    hook = get_plugin_manager().hook
    hook.ownership_granted(purchase=purchase)
    hook.ownership_granted(purchase=purchase)
    assert LicenseKey.objects.filter(purchase=purchase).count() == 1
    assert LicenseKey.objects.get(purchase=purchase).key == license_key.key


@pytest.mark.django_db
def test_the_validity_period_sets_the_expiry_from_the_purchase(paid, buyer, product):
    LicensePolicy.objects.filter(product=product).update(validity_days=30, activation_limit=None)
    purchase = paid(buyer, product)
    key = LicenseKey.objects.get(purchase=purchase)
    assert (key.expires_at - purchase.granted_at).days == 30
    assert key.activation_limit is None


@pytest.mark.django_db
def test_a_refund_disables_the_key(refunded, purchase, license_key, api):
    refunded(purchase)
    license_key.refresh_from_db()
    assert license_key.status == "disabled"
    assert license_key.disabled_by == "revocation"
    response = api.post("validate", license_key=license_key.key)
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_revoked_purchase_gets_no_key_later(refunded, purchase, license_key):
    LicenseKey.objects.all().delete()
    refunded(purchase)
    assert services.issue_key(PurchasedProduct.objects.get(pk=purchase.pk)) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.by_database
def test_concurrent_grants_issue_one_key(buyer, product):
    LicensePolicy.objects.filter(product=product).update(issue_keys=False)
    purchase = buy(buyer, product)  # no key yet
    LicensePolicy.objects.filter(product=product).update(issue_keys=True)
    callers = 8
    barrier = Barrier(callers, timeout=60)

    def run(_: int) -> int:
        barrier.wait()
        try:
            key = services.issue_key(purchase)
            assert key is not None
            return key.pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=callers) as pool:
        issued = Counter(pool.map(run, range(callers)))
    assert len(issued) == 1
    assert LicenseKey.objects.filter(purchase=purchase).count() == 1
