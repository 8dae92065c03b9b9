"""The buyer's side: opening a request, the list with Cancel / Complete, and the
rules the cancel and complete endpoints enforce (POST only, CSRF)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_support.models import SupportRequest

pytestmark = pytest.mark.django_db


@pytest.mark.by_database
def test_buyer_opens_a_request_and_the_hook_fires_after_commit(
    buyer_client: Any, purchase: Any, listener: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("support:create", args=[purchase.pk])
    page = buyer_client.get(url)
    assert "Watercolour Brushes" in page.text
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = buyer_client.post(url, {"subject": "  Which   paper? ",
                                           "message": "What paper suits these brushes?"})
        assert listener.events == []  # nothing is announced before the commit
    for callback in callbacks:
        callback()
    created = SupportRequest.objects.get()
    assert (created.subject, created.status, created.purchase_id) == (
        "Which paper?", "pending", purchase.pk)
    assert listener.events == [("created", created.pk, "", "pending")]
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('support:my_requests')}#support-request-{created.pk}"
    listing = buyer_client.get(response["Location"]).text
    assert "Your support request was sent to the seller." in listing
    assert "Which paper?" in listing and "Pending" in listing


def test_form_errors_are_shown(buyer_client: Any, purchase: Any) -> None:
    response = buyer_client.post(reverse("support:create", args=[purchase.pk]),
                                 {"subject": "", "message": ""})
    assert response.status_code == 200
    assert response.text.count("This field is required.") == 2
    assert SupportRequest.objects.count() == 0


@pytest.mark.parametrize(("status", "can_cancel", "can_complete"), [
    ("pending", True, False),
    ("in_progress", False, True),
    ("completed", False, False),
    ("cancelled", False, False),
])
def test_list_offers_cancel_and_complete_as_the_rules_allow(
    status: str, can_cancel: bool, can_complete: bool, buyer_client: Any, open_request: Any
) -> None:
    support_request = open_request(status)
    assert (support_request.can_cancel, support_request.can_complete) == (can_cancel,
                                                                          can_complete)
    text = buyer_client.get(reverse("support:my_requests")).text
    cancel = f'href="{reverse("support:cancel_confirm", args=[support_request.pk])}"'
    complete = f'action="{reverse("support:complete", args=[support_request.pk])}"'
    assert (cancel in text, complete in text) == (can_cancel, can_complete)


def test_buyer_sees_the_meeting_link_but_never_the_sellers_notes(
    buyer_client: Any, open_request: Any
) -> None:
    open_request("in_progress", meeting_link="https://meet.example.com/brushes",
                 admin_notes="Buyer seems confused; offer a refund?")
    text = buyer_client.get(reverse("support:my_requests")).text
    assert 'href="https://meet.example.com/brushes"' in text
    assert "offer a refund" not in text


def test_cancel_and_complete_accept_only_post(buyer_client: Any, open_request: Any) -> None:
    support_request = open_request("pending")
    for name in ("support:cancel", "support:complete"):
        assert buyer_client.get(reverse(name, args=[support_request.pk])).status_code == 405
    assert SupportRequest.objects.get(pk=support_request.pk).status == "pending"


def test_cancel_and_complete_need_the_csrf_token(buyer: Any, open_request: Any) -> None:
    support_request = open_request("pending")
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    response = client.post(reverse("support:cancel", args=[support_request.pk]))
    assert response.status_code == 403
    assert SupportRequest.objects.get(pk=support_request.pk).status == "pending"
    # With the token from the confirmation page, its button works.
    page = client.get(reverse("support:cancel_confirm", args=[support_request.pk]))
    token = page.context["csrf_token"]
    response = client.post(reverse("support:cancel", args=[support_request.pk]),
                           {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert SupportRequest.objects.get(pk=support_request.pk).status == "cancelled"


@pytest.mark.by_database
def test_buyer_cancels_then_can_open_a_new_request(buyer_client: Any, purchase: Any,
                                                   open_request: Any, listener: Any,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    first = open_request("pending")
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_client.post(reverse("support:cancel", args=[first.pk]), follow=True)
    assert "Support request cancelled." in response.text
    first.refresh_from_db()
    assert first.status == "cancelled" and first.closed_at is not None
    assert listener.events == [("status_changed", first.pk, "pending", "cancelled")]
    response = buyer_client.post(reverse("support:create", args=[purchase.pk]),
                                 {"subject": "Another question", "message": "Sizes?"})
    assert response.status_code == 302
    assert SupportRequest.objects.active().get().subject == "Another question"


def test_buyer_completes_a_request_in_progress(buyer_client: Any, open_request: Any,
                                               listener: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    support_request = open_request("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_client.post(reverse("support:complete", args=[support_request.pk]),
                                     follow=True)
    assert "Support request marked as completed." in response.text
    assert SupportRequest.objects.get(pk=support_request.pk).status == "completed"
    assert listener.events == [("status_changed", support_request.pk, "in_progress",
                                "completed")]


def test_seller_as_buyer_uses_the_seller_panel(login: Any, make_seller: Any,
                                               make_product: Any, open_request: Any) -> None:
    from tests.helpers import buy

    shopper = make_seller(name="Shopping Seller")
    support_request = open_request("pending", on=buy(shopper, make_product()))
    client = login(shopper)
    response = client.post(reverse("support:cancel", args=[support_request.pk]))
    assert response["Location"] == (
        f"{reverse('support:seller_my_requests')}#support-request-{support_request.pk}")
    page = client.get(reverse("support:seller_my_requests"))
    assert page.context["panel_area"] == "seller"
    assert support_request.subject in page.text


def test_cancel_asks_first_and_only_its_button_cancels(buyer_client: Any,
                                                       open_request: Any) -> None:
    """The list's "Cancel request" leads to a page that asks; nothing changes until
    its button posts."""
    support_request = open_request("pending")
    confirm_url = reverse("support:cancel_confirm", args=[support_request.pk])
    assert f'href="{confirm_url}"' in buyer_client.get(reverse("support:my_requests")).text

    page = buyer_client.get(confirm_url)
    assert page.status_code == 200
    assert "Cancel “" in page.text and "closes for good" in page.text
    assert (f'<form method="post" action="{reverse("support:cancel", args=[support_request.pk])}"'
            in page.text)
    assert 'data-nav="my-support" aria-current="page"' in page.text  # in the account layout
    assert SupportRequest.objects.get(pk=support_request.pk).status == "pending"

    buyer_client.post(reverse("support:cancel", args=[support_request.pk]))
    assert SupportRequest.objects.get(pk=support_request.pk).status == "cancelled"
    # Once cancelled, the confirmation leads back to the request's page.
    again = buyer_client.get(confirm_url)
    assert again.status_code == 302
    assert again["Location"] == reverse("support:detail", args=[support_request.pk])
