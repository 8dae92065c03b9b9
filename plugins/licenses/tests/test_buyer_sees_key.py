"""The buyer sees their key on My Products (selectable text with a Copy button)
and in the receipt email; one query for the plugin however many products."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from marketplace_licenses.models import LicenseKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example"}


def test_my_products_shows_the_key_with_a_copy_button(buyer_client, license_key):
    response = buyer_client.get(reverse("marketplace:my_products"))
    html = response.content.decode()
    assert license_key.key in html
    assert 'data-detail="license-key"' in html
    assert "data-copy-target=" in html  # shown by marketplace.js; hidden without JavaScript


def test_a_refunded_purchase_and_its_key_leave_my_products(buyer_client, refunded, purchase,
                                                           license_key):
    refunded(purchase)
    response = buyer_client.get(reverse("marketplace:my_products"))
    assert license_key.key not in response.content.decode()


def test_a_seller_disabled_key_is_marked(buyer_client, seller_client, license_key):
    seller_client.post(reverse("licenses:key_disable", args=[license_key.pk]))
    html = buyer_client.get(reverse("marketplace:my_products")).content.decode()
    assert license_key.key in html
    assert "disabled" in html


def test_my_products_makes_one_query_for_the_keys(buyer, buyer_client, paid, make_product,
                                                  seller, django_assert_max_num_queries):
    from marketplace_licenses.models import LicensePolicy

    def product() -> Any:
        made = make_product(seller=seller)
        LicensePolicy.objects.create(product=made, issue_keys=True)
        return made

    paid(buyer, product())
    with django_assert_max_num_queries(30) as few:
        buyer_client.get(reverse("marketplace:my_products"))
    for _ in range(4):
        paid(buyer, product())
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = buyer_client.get(reverse("marketplace:my_products")).content.decode()
    assert html.count('data-detail="license-key"') == 5


def test_the_receipt_email_carries_the_key(buyer, product, paid):
    mail.outbox.clear()
    purchase = paid(buyer, product)
    key = LicenseKey.objects.get(purchase=purchase).key
    (receipt,) = [m for m in mail.outbox if "bea@example.com" in m.to]
    assert f"License key: {key}" in receipt.body
    html = receipt.alternatives[0][0]
    assert key in html


def test_a_receipt_of_a_product_without_keys_has_no_key_line(buyer, make_product, seller, paid):
    mail.outbox.clear()
    paid(buyer, make_product(seller=seller))
    (receipt,) = [m for m in mail.outbox if "bea@example.com" in m.to]
    assert "License key" not in receipt.body
