"""The seller's side: incoming requests (filter, pages, exact query counts) and
the update form (status, https meeting link, private notes, locked requests).

The buyer lists' query counts are here too: ``/support/mine/`` and the seller
panel's ``/support/seller/mine/``, each measured at one row and at more than a page.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from marketplace_support.models import SupportRequest

from tests.helpers import buy

pytestmark = pytest.mark.django_db


def _requests_from_buyers(n: int, product: Any, make_user: Any, status: str = "pending"
                          ) -> list[SupportRequest]:
    return [
        SupportRequest.objects.create(purchase=buy(make_user(), product), subject=f"Question {i}",
                                      message="?", status=status)
        for i in range(n)
    ]


@pytest.mark.by_database
def test_incoming_filters_by_status(seller_client: Any, product: Any, make_user: Any) -> None:
    _requests_from_buyers(2, product, make_user, "pending")
    _requests_from_buyers(1, product, make_user, "completed")
    page = seller_client.get(reverse("support:incoming"))
    assert len(page.context["support_requests"]) == 3
    assert "All (3)" in page.text and "Pending (2)" in page.text and "Completed (1)" in page.text
    pending = seller_client.get(reverse("support:incoming"), {"status": "pending"})
    assert {r.status for r in pending.context["support_requests"]} == {"pending"}
    assert len(pending.context["support_requests"]) == 2
    bogus = seller_client.get(reverse("support:incoming"), {"status": "'; drop"})
    assert len(bogus.context["support_requests"]) == 3  # unknown filter: everything


@pytest.mark.by_database
def test_incoming_is_paginated_and_keeps_the_filter(seller_client: Any, product: Any,
                                                    make_user: Any, settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "support": {"PAGE_SIZE": 2}}
    _requests_from_buyers(5, product, make_user, "pending")
    first = seller_client.get(reverse("support:incoming"), {"status": "pending"})
    assert len(first.context["support_requests"]) == 2
    assert "Page 1 of 3" in first.text
    assert 'href="?status=pending&amp;page=2"' in first.text
    last = seller_client.get(reverse("support:incoming"), {"status": "pending", "page": 3})
    assert len(last.context["support_requests"]) == 1


#: Sizes the list pages are measured at: one row, and more than a full page
#: (``PAGE_SIZE`` is 20 by default).
SIZES = [1, 25]
PAGE_SIZE = 20


@pytest.mark.by_database
@pytest.mark.parametrize("rows", SIZES)
def test_incoming_query_count_is_exact_at_one_and_many_rows(
    rows: int, seller_client: Any, product: Any, make_user: Any,
    django_assert_num_queries: Any,
) -> None:
    _requests_from_buyers(rows, product, make_user)
    # session, user with the person's seller/verified rows, count, requests with purchases,
    # products and buyers, counts per status
    with django_assert_num_queries(5):
        response = seller_client.get(reverse("support:incoming"))
    assert response.status_code == 200
    assert len(response.context["support_requests"]) == min(rows, PAGE_SIZE)
    assert f"All ({rows})" in response.text


@pytest.mark.by_database
@pytest.mark.parametrize("rows", SIZES)
@pytest.mark.parametrize("name", ["support:my_requests", "support:seller_my_requests"])
def test_my_support_query_count_is_exact_at_one_and_many_rows(
    name: str, rows: int, login: Any, make_user: Any, make_seller: Any, make_product: Any,
    django_assert_num_queries: Any,
) -> None:
    """The customer's ``/support/mine/`` and the seller's ``/support/seller/mine/``
    (requests a seller opened as a buyer) are the same generic view."""
    requester = make_seller() if name == "support:seller_my_requests" else make_user()
    for _ in range(rows):
        SupportRequest.objects.create(purchase=buy(requester, make_product()), subject="?",
                                      message="?")
    client = login(requester)
    # session, user with the person's seller/verified rows, count, requests with purchases,
    # products and their sellers
    with django_assert_num_queries(4):
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert len(response.context["support_requests"]) == min(rows, PAGE_SIZE)
    assert response.text.count('data-support-request="') == min(rows, PAGE_SIZE)
    expected_area = "seller" if name == "support:seller_my_requests" else "customer"
    assert response.context["panel_area"] == expected_area


@pytest.mark.smoke
def test_seller_sets_a_meeting_link_and_starts_the_request(
    seller_client: Any, open_request: Any, listener: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    url = reverse("support:update", args=[support_request.pk])
    form_page = seller_client.get(url)
    assert support_request.message in form_page.text
    assert [c[0] for c in form_page.context["form"].fields["status"].choices] == [
        "pending", "in_progress", "cancelled"]
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(url, {
            "status": "in_progress", "meeting_link": "https://meet.example.com/abc-defg",
            "admin_notes": "Paid customer since 2021.",
        })
    assert response.status_code == 302 and response["Location"] == reverse("support:incoming")
    support_request.refresh_from_db()
    assert (support_request.status, support_request.meeting_link, support_request.admin_notes) \
        == ("in_progress", "https://meet.example.com/abc-defg", "Paid customer since 2021.")
    assert support_request.status_changed_at is not None and support_request.closed_at is None
    assert listener.events == [("status_changed", support_request.pk, "pending", "in_progress")]
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("link", [
    "http://meet.example.com/abc", "javascript:alert(1)", "ftp://files.example.com/x",
    "not a link", "https://",
])
def test_meeting_link_must_be_https(link: str, seller_client: Any, open_request: Any) -> None:
    support_request = open_request("pending")
    response = seller_client.post(reverse("support:update", args=[support_request.pk]),
                                  {"status": "in_progress", "meeting_link": link})
    assert response.status_code == 200
    assert response.context["form"].errors["meeting_link"]
    support_request.refresh_from_db()
    assert (support_request.status, support_request.meeting_link) == ("pending", "")


def test_a_link_without_scheme_becomes_https(seller_client: Any, open_request: Any) -> None:
    support_request = open_request("pending")
    seller_client.post(reverse("support:update", args=[support_request.pk]),
                       {"status": "pending", "meeting_link": "meet.example.com/abc"})
    support_request.refresh_from_db()
    assert support_request.meeting_link == "https://meet.example.com/abc"


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_finished_requests_are_locked(status: str, seller_client: Any, open_request: Any,
                                      listener: Any, mailoutbox: Any,
                                      django_capture_on_commit_callbacks: Any) -> None:
    support_request = open_request(status, meeting_link="https://meet.example.com/old",
                                   admin_notes="Done.")
    url = reverse("support:update", args=[support_request.pk])
    page = seller_client.get(url)
    form = page.context["form"]
    assert all(field.disabled for field in form.fields.values())
    assert "it is locked and can no longer be changed" in page.text
    assert 'type="submit"' not in page.text.split('class="form support-update-form"')[1]
    assert page.text.count(" disabled") >= 3
    # A forged POST (as if the fields were enabled) changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(url, {
            "status": "pending", "meeting_link": "https://evil.example.com/x",
            "admin_notes": "rewritten",
        })
    assert response.status_code == 409
    assert f"This support request is {status} and can no longer be changed." in response.text
    assert all(field.disabled for field in response.context["form"].fields.values())
    fresh = SupportRequest.objects.get(pk=support_request.pk)
    assert (fresh.status, fresh.meeting_link, fresh.admin_notes, fresh.updated_at) == (
        status, "https://meet.example.com/old", "Done.", support_request.updated_at)
    assert listener.events == [] and mailoutbox == []


@pytest.mark.by_database
def test_a_request_finished_while_the_seller_edits_is_refused(
    seller_client: Any, open_request: Any, django_capture_on_commit_callbacks: Any,
    buyer_client: Any
) -> None:
    """The seller opened the form; the buyer cancels; the seller's save is refused."""
    support_request = open_request("pending")
    url = reverse("support:update", args=[support_request.pk])
    assert seller_client.get(url).status_code == 200
    buyer_client.post(reverse("support:cancel", args=[support_request.pk]))
    response = seller_client.post(url, {"status": "in_progress", "meeting_link": ""})
    assert response.status_code == 409
    assert SupportRequest.objects.get(pk=support_request.pk).status == "cancelled"
