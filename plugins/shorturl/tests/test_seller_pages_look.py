"""The seller's short link pages in the shop's look: each in the seller panel with
"Short links" marked in its sidebar, the form rendered by core's form renderer (each
error once, next to its field), and deleting asks first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_shorturl.models import ShortURL

pytestmark = pytest.mark.django_db

CURRENT = 'data-nav="shorturl" aria-current="page"'


def test_every_seller_page_is_in_the_panel_with_its_sidebar_entry(
        seller_client: Client, make_link: Any) -> None:
    link = make_link(slug="spring")
    for url in (reverse("shorturl:list"), reverse("shorturl:create"),
                reverse("shorturl:update", args=[link.pk]),
                reverse("shorturl:delete", args=[link.pk])):
        html = seller_client.get(url).content.decode()
        assert '<nav class="panel-nav" aria-label="Seller panel">' in html, url
        assert CURRENT in html, url


def test_the_form_shows_each_error_once_next_to_its_field(seller_client: Client) -> None:
    response = seller_client.post(reverse("shorturl:create"),
                                  {"destination": "not a link", "slug": "x y",
                                   "max_visits": "0", "is_active": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    errors = re.findall(r'role="alert" data-errors-for="(\w+)">(.*?)</div>', html, re.S)
    assert [name for name, _ in errors] == ["destination", "slug", "max_visits"]
    for _, block in errors:
        message = re.sub(r"<[^>]+>", "", block).strip()
        assert html.count(message) == 1, message
    # Core's field markup: label, widget tied to its help text, the field marked invalid.
    assert '<div class="field field-destination has-errors">' in html
    slug = re.search(r'<input type="text" name="slug" value="x y"[^>]*>', html)
    assert slug and 'aria-invalid="true"' in slug.group(0)
    assert 'aria-describedby="id_slug_helptext id_slug_error"' in slug.group(0)
    assert '<small class="helptext" id="id_slug_helptext">' in html
    assert '<div class="errorlist" id="id_slug_error" role="alert" data-errors-for="slug">' in html
    assert not ShortURL.objects.exists()


def test_delete_asks_first(seller_client: Client, make_link: Any) -> None:
    link = make_link(slug="spring")
    page = seller_client.get(reverse("shorturl:delete", args=[link.pk])).content.decode()
    assert '<div class="confirm">' in page
    assert '<button type="submit" class="danger">Delete</button>' in page
    assert ShortURL.objects.filter(pk=link.pk).exists()
    seller_client.post(reverse("shorturl:delete", args=[link.pk]))
    assert not ShortURL.objects.filter(pk=link.pk).exists()
