"""The seller hears about a new support request through core's notifications
(an email by default; switched off in their profile, nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from marketplace_support.models import SupportRequest

from marketplace_core.notifications.preferences import NotificationPreference

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": SITE}
    cache.clear()


def _ask(client: Any, purchase: Any, capture: Any) -> SupportRequest:
    with capture(execute=True):
        response = client.post(reverse("support:create", args=[purchase.pk]),
                               {"subject": "Which paper?", "message": "Cold or hot pressed?"})
    assert response.status_code == 302, response.text
    return SupportRequest.objects.get()


def test_a_new_request_emails_the_seller_a_link_to_it(
    buyer_client: Any, purchase: Any, seller: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any, login: Any,
) -> None:
    support_request = _ask(buyer_client, purchase, django_capture_on_commit_callbacks)

    [mail] = [m for m in mailoutbox if m.to == [seller.email]]
    assert mail.subject.startswith("New support request: Which paper?")
    assert "Hello Sam Seller," in mail.body
    assert "Bea Buyer asks about Watercolour Brushes:" in mail.body
    assert "Cold or hot pressed?" in mail.body
    link = f"{SITE}{reverse('support:update', args=[support_request.pk])}"
    assert f"Open it: {link}" in mail.body
    assert login(seller).get(link.removeprefix(SITE)).status_code == 200


def test_switched_off_the_seller_gets_no_email(
    buyer_client: Any, purchase: Any, seller: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    NotificationPreference.objects.create(user=seller, event="support_request_created",
                                          channel="email", enabled=False)

    _ask(buyer_client, purchase, django_capture_on_commit_callbacks)

    assert [m for m in mailoutbox if m.to == [seller.email]] == []


def test_the_seller_sees_the_switch_while_the_plugin_is_enabled(seller_client: Any) -> None:
    html = seller_client.get("/seller/profile/").text
    assert "New support request" in html
    assert 'name="support_request_created__email"' in html
