"""Fixtures of the support plugin's tests: a seller, a buyer who owns one of the
seller's products (bought through core's services), and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from marketplace_support.models import SupportMessage, SupportRequest

from marketplace_core import hookimpl
from marketplace_core.celery_app import create_celery_app
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.manager import get_plugin_manager, register
from tests.helpers import buy

create_celery_app("tests")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Message counts live in the cache, keyed by user id; ids come back after a
    test's rollback, so each test starts with an empty cache."""
    cache.clear()


@pytest.fixture
def seller(make_seller: Callable[..., Any]) -> Any:
    return make_seller(name="Sam Seller")


@pytest.fixture
def buyer(make_user: Callable[..., Any]) -> Any:
    return make_user(name="Bea Buyer", email="bea@example.com")


@pytest.fixture
def product(make_product: Callable[..., Any], seller: Any) -> Any:
    return make_product(seller=seller, title="Watercolour Brushes")


@pytest.fixture
def purchase(buyer: Any, product: Any) -> PurchasedProduct:
    return buy(buyer, product)


@pytest.fixture
def login() -> Callable[[Any], Client]:
    """A new test client logged in as ``user``."""

    def make(user: Any, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def buyer_client(login: Callable[[Any], Client], buyer: Any) -> Client:
    return login(buyer)


@pytest.fixture
def seller_client(login: Callable[[Any], Client], seller: Any) -> Client:
    return login(seller)


@pytest.fixture
def open_request(purchase: PurchasedProduct) -> Callable[..., SupportRequest]:
    """Create a request for ``purchase`` (or another) in a given status, straight in the table."""

    def make(status: str = "pending", *, on: PurchasedProduct | None = None,
             **fields: Any) -> SupportRequest:
        fields.setdefault("subject", "Cannot open the file")
        fields.setdefault("message", "The download is a zip; what opens it?")
        return SupportRequest.objects.create(purchase=on or purchase, status=status, **fields)

    return make


class EventListener:
    """A real hook implementation, registered like a plugin, recording support events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, str, str]] = []

    @hookimpl
    def support_request_created(self, support_request: SupportRequest) -> None:
        self.events.append(("created", support_request.pk, "", support_request.status))

    @hookimpl
    def support_request_status_changed(self, support_request: SupportRequest,
                                       old_status: str) -> None:
        self.events.append(("status_changed", support_request.pk, old_status,
                            support_request.status))

    @hookimpl
    def support_message_posted(self, message: SupportMessage) -> None:
        self.events.append(("message_posted", message.support_request_id, message.author_role,
                            message.body))


@pytest.fixture
def listener() -> Iterator[EventListener]:
    pm = get_plugin_manager()
    recorder = EventListener()
    register(pm, recorder, "test_listener")
    try:
        yield recorder
    finally:
        pm.unregister(name="test_listener")
