"""Fixtures of the licenses plugin's tests: a seller whose product issues keys,
a buyer who bought it through core's services, logged-in clients and API calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from marketplace_licenses.models import LicenseKey, LicensePolicy

from marketplace_core.celery_app import create_celery_app
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.testing.factories import buy, logged_in, refund

create_celery_app("tests")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """API counts live in the cache; each test starts with an empty one."""
    cache.clear()


@pytest.fixture
def seller(make_seller: Callable[..., Any]) -> Any:
    return make_seller(name="Sam Seller")


@pytest.fixture
def buyer(make_user: Callable[..., Any]) -> Any:
    return make_user(name="Bea Buyer", email="bea@example.com")


@pytest.fixture
def product(make_product: Callable[..., Any], seller: Any) -> Any:
    """A product that issues keys, three activations each."""
    product = make_product(seller=seller, title="Pixel Editor Pro")
    LicensePolicy.objects.create(product=product, issue_keys=True, activation_limit=3)
    return product


@pytest.fixture
def paid(django_capture_on_commit_callbacks: Any) -> Callable[[Any, Any], PurchasedProduct]:
    """Buy through core's services and deliver the after-commit events (the key is issued)."""

    def run(buyer: Any, product: Any) -> PurchasedProduct:
        with django_capture_on_commit_callbacks(execute=True):
            return buy(buyer, product)

    return run


@pytest.fixture
def refunded(django_capture_on_commit_callbacks: Any) -> Callable[[PurchasedProduct], None]:
    """Refund through core's services and deliver the after-commit events."""

    def run(purchase: PurchasedProduct) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            refund(purchase)

    return run


@pytest.fixture
def purchase(paid: Callable[[Any, Any], PurchasedProduct], buyer: Any,
             product: Any) -> PurchasedProduct:
    return paid(buyer, product)


@pytest.fixture
def license_key(purchase: PurchasedProduct) -> LicenseKey:
    return LicenseKey.objects.get(purchase=purchase)


@pytest.fixture
def seller_client(seller: Any) -> Client:
    return logged_in(seller)


@pytest.fixture
def buyer_client(buyer: Any) -> Client:
    return logged_in(buyer)


class LicenseApi:
    """Calls the public license API as a client program would: no session, no CSRF token."""

    def __init__(self, address: str = "203.0.113.7") -> None:
        self.client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)

    def post(self, action: str, *, as_json: bool = False, **fields: Any) -> Any:
        url = reverse(f"marketplace-api:licenses_{action}")
        if as_json:
            return self.client.post(url, json.dumps(fields), content_type="application/json")
        return self.client.post(url, fields)


@pytest.fixture
def api() -> LicenseApi:
    return LicenseApi()
