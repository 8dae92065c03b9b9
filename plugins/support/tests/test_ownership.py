"""Every object is looked up through its owner: anything else is a 404.

Anonymous visitors are sent to log in; customers get 403 on the seller's pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from marketplace_support.models import SupportRequest

from tests.helpers import buy, refund

pytestmark = pytest.mark.django_db


def test_only_the_owner_can_open_a_request_for_a_purchase(
    purchase: Any, login: Any, make_user: Any, make_seller: Any, seller: Any
) -> None:
    url = reverse("support:create", args=[purchase.pk])
    for stranger in (make_user(), make_seller(), seller):  # the product's seller did not buy it
        client = login(stranger)
        assert client.get(url).status_code == 404
        assert client.post(url, {"subject": "Hi", "message": "Let me in"}).status_code == 404
    assert SupportRequest.objects.count() == 0


def test_no_request_for_a_refunded_purchase(purchase: Any, buyer_client: Any) -> None:
    refund(purchase)
    url = reverse("support:create", args=[purchase.pk])
    assert buyer_client.get(url).status_code == 404
    assert buyer_client.post(url, {"subject": "Hi", "message": "Hello"}).status_code == 404
    assert SupportRequest.objects.count() == 0


def test_unknown_purchase_is_404(buyer_client: Any) -> None:
    assert buyer_client.get(reverse("support:create", args=[999_999])).status_code == 404


@pytest.mark.parametrize("name", ["support:cancel", "support:complete"])
def test_another_buyers_request_is_404(name: str, open_request: Any, login: Any,
                                       make_user: Any, seller: Any) -> None:
    support_request = open_request("in_progress" if name == "support:complete" else "pending")
    for stranger in (make_user(), seller):  # the seller acts on the seller's page, not here
        response = login(stranger).post(reverse(name, args=[support_request.pk]))
        assert response.status_code == 404
    assert SupportRequest.objects.get(pk=support_request.pk).status == support_request.status


def test_another_sellers_request_is_404(open_request: Any, login: Any,
                                        make_seller: Any) -> None:
    support_request = open_request("pending")
    other = login(make_seller())
    url = reverse("support:update", args=[support_request.pk])
    assert other.get(url).status_code == 404
    assert other.post(url, {"status": "in_progress"}).status_code == 404
    assert SupportRequest.objects.get(pk=support_request.pk).status == "pending"


def test_lists_show_only_ones_own_requests(open_request: Any, login: Any, make_user: Any,
                                           make_seller: Any, make_product: Any) -> None:
    mine = open_request("pending", subject="Mine: brushes")
    other_buyer = make_user()
    other_seller = make_seller()
    theirs = open_request("pending", subject="Theirs: paper",
                          on=buy(other_buyer, make_product(seller=other_seller)))
    text = login(other_buyer).get(reverse("support:my_requests")).text
    assert theirs.subject in text and mine.subject not in text
    text = login(other_seller).get(reverse("support:incoming")).text
    assert theirs.subject in text and mine.subject not in text


def test_anonymous_visitors_are_sent_to_log_in(client: Any, purchase: Any,
                                               open_request: Any) -> None:
    support_request = open_request("pending")
    login_url = reverse("marketplace:login")
    for url in (reverse("support:create", args=[purchase.pk]), reverse("support:my_requests"),
                reverse("support:seller_my_requests"), reverse("support:incoming"),
                reverse("support:update", args=[support_request.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login_url)
    for name in ("support:cancel", "support:complete"):
        response = client.post(reverse(name, args=[support_request.pk]))
        assert response["Location"].startswith(login_url)
    assert SupportRequest.objects.get(pk=support_request.pk).status == "pending"


def test_customers_get_403_on_seller_pages(buyer_client: Any, open_request: Any) -> None:
    support_request = open_request("pending")
    for url in (reverse("support:incoming"), reverse("support:seller_my_requests"),
                reverse("support:update", args=[support_request.pk])):
        assert buyer_client.get(url).status_code == 403
