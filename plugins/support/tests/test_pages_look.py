"""The support pages in the shop's look: the seller's pages in the seller panel with
"Support requests" marked, the buyer's in the account panel with "My support"; the
forms rendered by core's form renderer (Status a styled <select> in core's field
markup, each error once)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_support.models import SupportRequest

pytestmark = pytest.mark.django_db


def test_the_sellers_pages_are_in_the_seller_panel(seller_client: Client,
                                                   open_request: Any) -> None:
    support_request = open_request("pending")
    for url in (reverse("support:incoming"),
                reverse("support:update", args=[support_request.pk])):
        html = seller_client.get(url).content.decode()
        assert '<nav class="panel-nav" aria-label="Seller panel">' in html, url
        assert 'data-nav="support-incoming" aria-current="page"' in html, url


def test_the_buyers_pages_are_in_the_account_panel(buyer_client: Client, purchase: Any,
                                                   open_request: Any) -> None:
    urls = [reverse("support:create", args=[purchase.pk]), reverse("support:my_requests")]
    support_request = open_request("pending")
    urls += [reverse("support:detail", args=[support_request.pk]),
             reverse("support:cancel_confirm", args=[support_request.pk])]
    for url in urls:
        html = buyer_client.get(url, follow=True).content.decode()
        assert '<nav class="panel-nav" aria-label="My account">' in html, url
        assert 'data-nav="my-support" aria-current="page"' in html, url


def test_status_is_a_labelled_select_in_cores_field_markup(seller_client: Client,
                                                           open_request: Any) -> None:
    support_request = open_request("pending")
    html = seller_client.get(reverse("support:update", args=[support_request.pk])).text
    field = re.search(r'<div class="field field-status">(.*?)</div>', html, re.S)
    assert field, "the status field in core's markup"
    assert '<label for="id_status">Status</label>' in field.group(1)
    assert re.search(r'<select name="status" id="id_status">\s*<option value="pending" selected>',
                     field.group(1))


def test_a_bad_meeting_link_is_said_once(seller_client: Client, open_request: Any) -> None:
    support_request = open_request("pending")
    response = seller_client.post(reverse("support:update", args=[support_request.pk]),
                                  {"status": "in_progress", "meeting_link": "http://meet.example.com/x"})
    html = response.content.decode()
    errors = re.findall(r'role="alert" data-errors-for="(\w+)"><p>(.*?)</p></div>', html)
    assert [name for name, _ in errors] == ["meeting_link"]
    assert html.count(errors[0][1]) == 1
    assert SupportRequest.objects.get(pk=support_request.pk).status == "pending"


def test_the_request_form_shows_each_error_once(buyer_client: Client, purchase: Any) -> None:
    response = buyer_client.post(reverse("support:create", args=[purchase.pk]),
                                 {"subject": "", "message": ""})
    html = response.content.decode()
    assert re.findall(r'data-errors-for="(\w+)"', html) == ["subject", "message"]
    assert html.count("This field is required.") == 2


@pytest.mark.parametrize("final", ["cancelled", "completed"])
def test_a_final_status_asks_first_and_changes_nothing_until_confirmed(
        seller_client: Client, open_request: Any, final: str) -> None:
    support_request = open_request("in_progress")
    url = reverse("support:update", args=[support_request.pk])
    data = {"status": final, "meeting_link": "", "admin_notes": "Refunded instead."}

    asked = seller_client.post(url, data)

    assert asked.status_code == 200
    assert "locked for good" in asked.text
    assert '<input type="hidden" name="confirm_final" value="1">' in asked.text
    assert "Refunded instead." in asked.text  # the seller's input is kept
    stored = SupportRequest.objects.get(pk=support_request.pk)
    assert (stored.status, stored.admin_notes) == ("in_progress", "")

    done = seller_client.post(url, {**data, "confirm_final": "1"})
    assert done.status_code == 302
    assert SupportRequest.objects.get(pk=support_request.pk).status == final
