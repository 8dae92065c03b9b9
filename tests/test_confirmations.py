"""Destructive actions ask first, without JavaScript: the seller's delete (and revoke)
links lead to a confirmation page in the seller panel whose button posts; opening it
changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace_core.api_keys.models import ApiKey
from marketplace_core.api_keys.services import create_key
from marketplace_core.catalog.file_versions import VersionDetails
from marketplace_core.catalog.models import Category, Product, ProductFileVersion
from marketplace_core.catalog.services import save_product
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.outbound import services as webhooks
from marketplace_core.outbound.models import WebhookEndpoint
from tests.panels_support import logged_in, text_of

pytestmark = pytest.mark.django_db


def _product(seller: Any, make_product: Any, **_: Any) -> tuple[str, Callable[[], bool]]:
    product = make_product(seller=seller, title="Brush Guide")
    return (f"/seller/products/{product.pk}/delete/",
            Product.objects.filter(pk=product.pk).exists)


def _category(seller: Any, make_category: Any, **_: Any) -> tuple[str, Callable[[], bool]]:
    category = make_category(seller=seller, name="Brushes")
    return (f"/seller/categories/{category.pk}/delete/",
            Category.objects.filter(pk=category.pk).exists)


def _discount(seller: Any, **_: Any) -> tuple[str, Callable[[], bool]]:
    code = DiscountCode.objects.create(seller=seller, code="SAVE10", percent=10)
    return (f"/seller/discounts/{code.pk}/delete/",
            DiscountCode.objects.filter(pk=code.pk, is_active=True).exists)


def _webhook(seller: Any, **_: Any) -> tuple[str, Callable[[], bool]]:
    endpoint = webhooks.create_endpoint(seller, url="https://hooks.shop-tools.com/in",
                                        description="CRM", events=["order.paid"])
    return (f"/seller/webhooks/{endpoint.pk}/delete/",
            WebhookEndpoint.objects.filter(pk=endpoint.pk).exists)


def _version(seller: Any, make_product: Any, **_: Any) -> tuple[str, Callable[[], bool]]:
    product = make_product(seller=seller, title="Brush Guide")
    save_product(product, seller=seller, publish=True,
                 upload=SimpleUploadedFile("guide-2.pdf", b"%PDF-1.4 two"),
                 version=VersionDetails(label="2.0", release_notes=""), notify_buyers=False)
    first = product.file_versions.order_by("number").first()
    assert first is not None and product.file_versions.count() == 2
    return (f"/seller/products/{product.pk}/versions/{first.pk}/delete/",
            ProductFileVersion.objects.filter(pk=first.pk).exists)


def _api_key(seller: Any, **_: Any) -> tuple[str, Callable[[], bool]]:
    key = create_key(seller, name="CI", scope="read").key
    return (f"/seller/api-keys/{key.pk}/revoke/",
            ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).exists)


@pytest.mark.parametrize(("make", "nav_key", "button"), [
    (_product, "seller-products", "Delete product"),
    (_category, "seller-categories", "Delete category"),
    (_discount, "seller-discounts", "Delete code"),
    (_webhook, "seller-webhooks", "Delete endpoint"),
    (_version, "seller-products", "Delete version"),
    (_api_key, "seller-api-keys", "Revoke key"),
], ids=["product", "category", "discount", "webhook", "version", "api-key"])
def test_the_delete_link_leads_to_a_confirmation_that_changes_nothing(
        make, nav_key, button, make_seller, make_product, make_category):
    seller = make_seller()
    url, still_there = make(seller, make_product=make_product, make_category=make_category)
    client = logged_in(seller)

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert still_there()
    assert f'data-nav="{nav_key}" aria-current="page"' in html  # in the seller panel
    confirmation = re.search(r'<div class="confirm">(.*?)</div>\s*</section>', html, re.S)
    assert confirmation, "the page is a confirmation"
    form = re.search(r'<form method="post" class="form-actions">(.*?)</form>',
                     confirmation.group(1), re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)
    assert f'<button type="submit" class="danger">{button}</button>' in form.group(1)
    assert "Cancel" in text_of(form.group(1))

    client.post(url)
    assert not still_there()
