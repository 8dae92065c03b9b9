""""Request support" and the latest request's status on My Products, through the
product_actions hook, with one query for the plugin however many products."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from marketplace_support.models import SupportRequest

from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.roles import is_seller
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def _buy_many(buyer: Any, make_product: Any, n: int) -> list[PurchasedProduct]:
    purchases = [buy(buyer, make_product()) for _ in range(n)]
    # Every other product has a request history: a finished one, then an open one.
    for purchase in purchases[::2]:
        SupportRequest.objects.create(purchase=purchase, subject="Old", message=".",
                                      status="completed")
        SupportRequest.objects.create(purchase=purchase, subject="New", message=".")
    return list(PurchasedProduct.objects.filter(buyer=buyer).select_related("product"))


def _actions(request: Any, purchases: list[PurchasedProduct]) -> list[list[Any]]:
    hook = get_plugin_manager().hook
    return [
        [a for group in hook.product_actions(request=request, product=p.product, purchase=p)
         for a in group]
        for p in purchases
    ]


@pytest.mark.by_database
@pytest.mark.parametrize("products", [1, 30])
def test_the_hook_makes_one_query_for_all_products(products: int, buyer: Any,
                                                   make_product: Any,
                                                   django_assert_num_queries: Any) -> None:
    purchases = _buy_many(buyer, make_product, products)
    request = RequestFactory().get("/account/products/")
    request.user = buyer
    # The visitor's seller status is read once per request (core's base template has
    # done it by then); what this hook adds is one query, however many products.
    is_seller(buyer)
    with django_assert_num_queries(1):
        actions = _actions(request, purchases)
    assert [len(group) for group in actions] == [1] * products


def test_actions_say_what_the_latest_request_is(buyer: Any, make_product: Any) -> None:
    fresh, open_, finished = (buy(buyer, make_product()) for _ in range(3))
    SupportRequest.objects.create(purchase=open_, subject="?", message="?", status="completed")
    current = SupportRequest.objects.create(purchase=open_, subject="?", message="?",
                                            status="in_progress")
    SupportRequest.objects.create(purchase=finished, subject="?", message="?",
                                  status="cancelled")
    request = RequestFactory().get("/")
    request.user = buyer
    [[a_fresh], [a_open], [a_finished]] = _actions(request, [fresh, open_, finished])
    assert (a_fresh.label, a_fresh.status, a_fresh.url) == (
        "Request support", "", reverse("support:create", args=[fresh.pk]))
    assert (a_open.label, a_open.status, a_open.url) == (
        "View support request", "In progress",
        f"{reverse('support:my_requests')}#support-request-{current.pk}")
    assert (a_finished.label, a_finished.status, a_finished.url) == (
        "Request support", "Cancelled", reverse("support:create", args=[finished.pk]))


def _page_queries(client: Any) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("marketplace:my_products"))
    assert response.status_code == 200
    return len(queries), response.text


@pytest.mark.by_database
@pytest.mark.parametrize("products", [1, 25])
def test_my_products_page_query_count_is_exact(products: int, buyer: Any, buyer_client: Any,
                                               make_product: Any,
                                               django_assert_num_queries: Any) -> None:
    _buy_many(buyer, make_product, products)
    # session, user with the person's seller/verified rows, count, purchases with products and
    # sellers, this plugin's one query
    with django_assert_num_queries(5):
        response = buyer_client.get(reverse("marketplace:my_products"))
    assert response.status_code == 200
    assert response.text.count('data-action="support"') == min(products, 20)


def test_my_products_shows_request_support_then_the_status(
    buyer_client: Any, purchase: Any
) -> None:
    _, text = _page_queries(buyer_client)
    assert f'href="{reverse("support:create", args=[purchase.pk])}"' in text
    assert "Request support" in text
    buyer_client.post(reverse("support:create", args=[purchase.pk]),
                      {"subject": "Sizes?", "message": "Which sizes are in the set?"})
    _, text = _page_queries(buyer_client)
    assert "View support request" in text
    assert '<span class="badge" data-status-for="support">Pending</span>' in text
