"""The license pages in the shop's look: the seller's key pages in the seller panel
with "License keys" marked; the product's license settings rendered by core's form
renderer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_key_pages_are_in_the_seller_panel(seller_client: Client, license_key: Any) -> None:
    for url in (reverse("licenses:keys"), reverse("licenses:key_detail", args=[license_key.pk])):
        html = seller_client.get(url).content.decode()
        assert '<nav class="panel-nav" aria-label="Seller panel">' in html, url
        assert 'data-nav="license-keys" aria-current="page"' in html, url


def test_the_policy_form_uses_cores_field_markup(seller_client: Client, product: Any) -> None:
    html = seller_client.get(
        reverse("marketplace:seller_product_update", args=[product.pk])).content.decode()
    section = html.split('class="form license-policy-form"', 1)[1].split("</form>", 1)[0]
    assert ('<label class="choice" for="id_license_issue_keys"><input type="checkbox" '
            'name="issue_keys"') in section
    assert '<div class="field field-activation_limit">' in section
    assert '<small class="helptext" id="id_license_activation_limit_helptext">' in section
