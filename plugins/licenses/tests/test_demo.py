"""``manage.py seed_demo`` with the plugin enabled: the demo buyer has a key to look at."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from marketplace_licenses.models import LicenseKey, LicensePolicy

from marketplace_core.people.users import find_by_email

# Committed for real, as the command runs: each event is delivered when its change commits.
pytestmark = pytest.mark.django_db(transaction=True)


def seed() -> None:
    call_command("seed_demo", products=3, stdout=io.StringIO())


def test_the_demo_buyer_owns_a_product_with_a_key_and_seeding_again_changes_nothing():
    seed()

    policy = LicensePolicy.objects.get()
    assert policy.issue_keys and policy.activation_limit == 3
    buyer = find_by_email("buyer@example.com")
    key = LicenseKey.objects.get()
    assert key.purchase.buyer_id == buyer.pk and key.purchase.product_id == policy.product_id
    client = Client()
    client.force_login(buyer)
    assert key.key in client.get(reverse("marketplace:my_products")).content.decode()

    # The seller's own policy is kept, and the purchase keeps its one key.
    LicensePolicy.objects.update(activation_limit=10)
    seed()
    assert LicensePolicy.objects.get().activation_limit == 10
    assert list(LicenseKey.objects.all()) == [key]

    # A demo seeded before the plugin was enabled: its purchase gets a key.
    LicenseKey.objects.all().delete()
    LicensePolicy.objects.all().delete()
    seed()
    assert LicenseKey.objects.get().purchase == key.purchase
