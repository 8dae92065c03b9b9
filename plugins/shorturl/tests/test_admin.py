"""Staff handle abuse reports in the admin: switch links off, same rules as sellers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_shorturl.models import ShortURL

from marketplace_core.testing import factories


def staff_client() -> Client:
    client = Client()
    client.force_login(factories.make_user(is_staff=True, is_superuser=True))
    return client


def test_staff_switch_off_links_and_redirects_stop_at_once(make_link):
    link = make_link(slug="phish")
    assert Client().get("/s/phish").status_code == 302
    response = staff_client().post(reverse("admin:shorturl_shorturl_changelist"),
                                   {"action": "switch_off", "_selected_action": [link.pk]})
    assert response.status_code == 302
    assert Client().get("/s/phish").status_code == 410


def test_admin_refuses_unsafe_destinations(make_link, seller):
    link = make_link(slug="promo")
    url = reverse("admin:shorturl_shorturl_change", args=[link.pk])
    response = staff_client().post(url, {"seller": seller.pk, "slug": "promo",
                                         "destination": "javascript:alert(1)",
                                         "is_active": "on"})
    assert response.status_code == 200
    assert "Only http:// and https:// links" in response.content.decode()
    link.refresh_from_db()
    assert link.destination == "https://example.com/landing"


@pytest.mark.by_database
def test_admin_search_finds_links_by_seller_email(make_link, seller):
    make_link(slug="promo")
    page = staff_client().get(reverse("admin:shorturl_shorturl_changelist"),
                              {"q": seller.email}).content.decode()
    assert "promo" in page
    assert ShortURL.objects.count() == 1


def test_staff_set_a_maximum_of_visits_of_at_least_one(make_link, seller):
    link = make_link(slug="capped")
    url = reverse("admin:shorturl_shorturl_change", args=[link.pk])
    fields = {"seller": seller.pk, "slug": "capped", "destination": link.destination,
              "is_active": "on"}
    response = staff_client().post(url, {**fields, "max_visits": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()

    assert staff_client().post(url, {**fields, "max_visits": "1"}).status_code == 302
    assert [Client().get("/s/capped").status_code for _ in range(2)] == [302, 410]
