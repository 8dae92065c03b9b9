"""Seller pages: create, list, update and delete short links."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.urls import reverse
from marketplace_shorturl.models import ShortURL
from marketplace_shorturl.slugs import ALPHABET
from marketplace_shorturl.tasks import flush_clicks

from marketplace_core.testing import factories

LIST = "/s/manage/"
CREATE = "/s/manage/new/"


def _form(**fields):
    data = {"destination": "https://example.com/landing", "slug": "", "expires_at": "",
            "is_active": "on"}
    data.update(fields)
    return data


# --- who may use the pages -------------------------------------------------
#
# Every management URL, GET and POST, for each kind of visitor. "other seller" is a
# seller who does not own the link the table's requests are about: the link's pages
# are looked up among the visitor's own links, so for them it does not exist (404).
# The list and the create form are each seller's own, so another seller uses them
# normally (the list then does not show the link).

LOGIN = "login"  # expected: 302 to the login page, back to the page asked for
PERMISSIONS = {
    # (page, method): {visitor: expected status}
    ("list", "GET"): {"anonymous": LOGIN, "customer": 403, "other seller": 200, "owner": 200},
    ("list", "POST"): {"anonymous": LOGIN, "customer": 403, "other seller": 405, "owner": 405},
    ("create", "GET"): {"anonymous": LOGIN, "customer": 403, "other seller": 200, "owner": 200},
    ("create", "POST"): {"anonymous": LOGIN, "customer": 403, "other seller": 302,
                         "owner": 302},
    ("update", "GET"): {"anonymous": LOGIN, "customer": 403, "other seller": 404, "owner": 200},
    ("update", "POST"): {"anonymous": LOGIN, "customer": 403, "other seller": 404,
                         "owner": 302},
    ("delete", "GET"): {"anonymous": LOGIN, "customer": 403, "other seller": 404, "owner": 200},
    ("delete", "POST"): {"anonymous": LOGIN, "customer": 403, "other seller": 404,
                         "owner": 302},
}
PERMISSION_CASES = [(page, method, visitor, status)
                    for (page, method), by_visitor in PERMISSIONS.items()
                    for visitor, status in by_visitor.items()]


def test_every_page_and_method_is_covered():
    """The table lists each of the plugin's management URLs with GET and POST."""
    from marketplace_shorturl.urls import urlpatterns

    pages = {p.name for p in urlpatterns} - {"redirect"}
    assert {(page, method) for page in pages for method in ("GET", "POST")} \
        == set(PERMISSIONS)


@pytest.mark.parametrize(
    "page, method, visitor, expected", PERMISSION_CASES,
    ids=[f"{page}-{method}-{visitor.replace(' ', '_')}"
         for page, method, visitor, _status in PERMISSION_CASES],
)
def test_permissions(seller, make_link, page, method, visitor, expected):
    link = make_link(slug="promo")  # owned by ``seller``
    other_seller = factories.make_seller()
    client = Client()
    if visitor == "customer":
        client.force_login(factories.make_user())
    elif visitor == "other seller":
        client.force_login(other_seller)
    elif visitor == "owner":
        client.force_login(seller)
    url = reverse(f"shorturl:{page}", args=[link.pk] if page in ("update", "delete") else [])
    data = _form(slug="changed" if page == "update" else "fresh",
                 destination="https://example.com/changed")
    response = client.get(url) if method == "GET" else client.post(url, data)

    if expected == LOGIN:
        assert response.status_code == 302
        login = reverse("marketplace:login")
        assert response["Location"] == f"{login}?next={url}"
    else:
        assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == LIST

    # What changed: only the owner's own writes, and a seller's own new link.
    created = ShortURL.objects.exclude(pk=link.pk)
    if (page, method) == ("create", "POST") and expected == 302:
        owner = other_seller if visitor == "other seller" else seller
        assert [(new.slug, new.seller) for new in created] == [("fresh", owner)]
    else:
        assert not created.exists()
    if (page, method, visitor) == ("delete", "POST", "owner"):
        assert not ShortURL.objects.filter(pk=link.pk).exists()
        return
    link.refresh_from_db()
    if (page, method, visitor) == ("update", "POST", "owner"):
        assert (link.slug, link.destination) == ("changed", "https://example.com/changed")
    else:
        assert (link.slug, link.destination) == ("promo", "https://example.com/landing")
    if (page, method, expected) == ("list", "GET", 200):
        assert ("/s/promo" in response.content.decode()) == (visitor == "owner")


def test_sellers_see_only_their_own_links(seller_client, make_link):
    make_link(slug="mine")
    make_link(factories.make_seller(), slug="theirs")
    page = seller_client.get(LIST).content.decode()
    assert "/s/mine" in page
    assert "/s/theirs" not in page


# --- create ------------------------------------------------------------------


def test_create_without_slug_generates_a_short_unambiguous_one(seller_client, seller):
    response = seller_client.post(CREATE, _form())
    assert response.status_code == 302
    assert response["Location"] == LIST
    link = ShortURL.objects.get(seller=seller)
    assert re.fullmatch(f"[{ALPHABET}]{{7}}", link.slug)
    assert Client().get(f"/s/{link.slug}")["Location"] == "https://example.com/landing"


def test_create_with_a_chosen_slug(seller_client, seller):
    seller_client.post(CREATE, _form(slug="Summer-Sale"))
    assert ShortURL.objects.get(seller=seller).slug == "summer-sale"


@pytest.mark.by_database
def test_a_taken_slug_is_refused(seller_client, make_link):
    make_link(factories.make_seller(), slug="taken")
    response = seller_client.post(CREATE, _form(slug="TAKEN"))
    assert response.status_code == 200
    assert "already taken" in response.content.decode()


@pytest.mark.parametrize("slug", ["manage", "admin", "api", "static", "products", "accounts",
                                  "seller", "healthz", "payments", "s"])
def test_reserved_words_and_site_paths_are_refused(seller_client, slug):
    response = seller_client.post(CREATE, _form(slug=slug))
    assert response.status_code == 200
    assert "is reserved" in response.content.decode()
    assert not ShortURL.objects.exists()


def test_configured_reserved_slugs_are_refused(seller_client, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "shorturl": {"RESERVED_SLUGS": ["Pricing"]}}
    assert "is reserved" in seller_client.post(CREATE, _form(slug="pricing")).content.decode()


@pytest.mark.parametrize("slug", ["-lead", "has space", "slash/es", "ünï", "a" * 65])
def test_malformed_slugs_are_refused(seller_client, slug):
    response = seller_client.post(CREATE, _form(slug=slug))
    assert response.status_code == 200
    assert not ShortURL.objects.exists()


@pytest.mark.parametrize("destination", [
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "https://user:pass@example.com/", "http://127.0.0.1/admin", "http://[::1]/",
    "http://2130706433/", "http://192.168.1.1/", "ftp://example.com/file",
])
def test_unsafe_destinations_are_refused(seller_client, destination):
    response = seller_client.post(CREATE, _form(destination=destination))
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not ShortURL.objects.exists()


def test_allow_list_limits_destinations(seller_client, seller, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "shorturl": {"ALLOWED_DOMAINS": ["example.com"]}}
    refused = seller_client.post(CREATE, _form(destination="https://example.org/"))
    assert "Links must point to one of: example.com" in refused.content.decode()
    seller_client.post(CREATE, _form(destination="https://shop.example.com/x"))
    assert ShortURL.objects.get(seller=seller).destination == "https://shop.example.com/x"


def test_a_short_link_to_a_short_link_is_refused(seller_client, make_link, settings):
    make_link(slug="first")
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "shorturl": {"SHORT_DOMAIN": "go.example.com"}}
    response = seller_client.post(CREATE, _form(destination="https://go.example.com/s/first"))
    assert "cannot point to another short link" in response.content.decode()


def test_expiry_must_be_in_the_future(seller_client):
    response = seller_client.post(CREATE, _form(expires_at="2001-01-01T10:00"))
    assert "Choose a time in the future" in response.content.decode()


# --- update and delete: every process sees the change at once ---------------------


def test_update_is_seen_by_the_next_redirect(seller_client, make_link):
    link = make_link(slug="promo")
    visitor = Client()
    assert visitor.get("/s/promo")["Location"] == "https://example.com/landing"
    response = seller_client.post(reverse("shorturl:update", args=[link.pk]),
                                  _form(slug="promo", destination="https://example.com/new"))
    assert response.status_code == 302
    assert visitor.get("/s/promo")["Location"] == "https://example.com/new"


def test_switching_off_is_seen_by_the_next_redirect(seller_client, make_link):
    link = make_link(slug="promo")
    Client().get("/s/promo")
    seller_client.post(reverse("shorturl:update", args=[link.pk]),
                       _form(slug="promo", is_active=""))
    assert Client().get("/s/promo").status_code == 410


@pytest.mark.by_database
def test_changing_the_slug_frees_the_old_one(seller_client, make_link):
    link = make_link(slug="old-name")
    Client().get("/s/old-name")
    seller_client.post(reverse("shorturl:update", args=[link.pk]), _form(slug="new-name"))
    assert Client().get("/s/old-name").status_code == 404
    assert Client().get("/s/new-name").status_code == 302


def test_update_form_shows_current_values(seller_client, make_link):
    link = make_link(slug="promo", destination="https://example.com/current")
    page = seller_client.get(reverse("shorturl:update", args=[link.pk])).content.decode()
    assert 'value="https://example.com/current"' in page
    assert 'value="promo"' in page


def test_delete_asks_then_the_link_is_gone(seller_client, make_link):
    link = make_link(slug="promo")
    Client().get("/s/promo")
    url = reverse("shorturl:delete", args=[link.pk])
    assert "Delete /promo?" in seller_client.get(url).content.decode()
    assert seller_client.post(url).status_code == 302
    assert not ShortURL.objects.filter(pk=link.pk).exists()
    assert Client().get("/s/promo").status_code == 404


def test_deleting_a_seller_stops_their_links(make_link, seller):
    make_link(slug="promo")
    assert Client().get("/s/promo").status_code == 302
    seller.delete()
    assert Client().get("/s/promo").status_code == 404


# --- list --------------------------------------------------------------------------


def test_list_shows_full_short_url_from_the_request_host(seller_client, make_link):
    make_link(slug="promo")
    page = seller_client.get(LIST, HTTP_HOST="shop.example.com").content.decode()
    assert 'href="http://shop.example.com/s/promo"' in page
    secure = seller_client.get(LIST, HTTP_HOST="shop.example.com", secure=True)
    assert 'href="https://shop.example.com/s/promo"' in secure.content.decode()


@pytest.mark.parametrize("domain, expected", [
    ("go.example.com", "https://go.example.com/s/promo"),
    ("http://localhost:8000", "http://localhost:8000/s/promo"),
])
def test_list_uses_the_configured_short_domain(seller_client, make_link, settings, domain,
                                               expected):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": {"SHORT_DOMAIN": domain}}
    make_link(slug="promo")
    page = seller_client.get(LIST, HTTP_HOST="shop.example.com").content.decode()
    assert f'href="{expected}"' in page


def test_list_shows_clicks_after_a_flush(seller_client, make_link):
    make_link(slug="promo")
    for _ in range(3):
        Client().get("/s/promo")
    flush_clicks()
    page = seller_client.get(LIST).content.decode()
    assert re.search(r'<td class="clicks">3</td>', page)


@pytest.mark.by_database
def test_list_search_by_slug_or_destination(seller_client, make_link):
    make_link(slug="spring", destination="https://example.com/flowers")
    make_link(slug="winter", destination="https://shop.example.net/coats")
    by_slug = seller_client.get(LIST, {"q": "SPRI"}).content.decode()
    assert "/s/spring" in by_slug and "/s/winter" not in by_slug
    by_destination = seller_client.get(LIST, {"q": "coats"}).content.decode()
    assert "/s/winter" in by_destination and "/s/spring" not in by_destination
    assert "No short links match" in seller_client.get(LIST, {"q": "zzz"}).content.decode()


@pytest.mark.by_database
def test_list_is_paginated_newest_first(seller_client, make_link, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": {"PAGE_SIZE": 2}}
    for name in ("one", "two", "three"):
        make_link(slug=name)
    first = seller_client.get(LIST).content.decode()
    assert "/s/three" in first and "/s/two" in first and "/s/one" not in first
    assert "Page 1 of 2" in first
    second = seller_client.get(LIST, {"page": 2}).content.decode()
    assert "/s/one" in second and "/s/three" not in second


def _page_link(page: str, rel: str) -> str:
    """The href of the pagination link ``rel`` ("next"/"prev"), unescaped."""
    match = re.search(rf'<a href="([^"]*)" rel="{rel}">', page)
    assert match is not None, f"no {rel} link"
    return html.unescape(match.group(1))


def test_list_pages_keep_the_search_and_other_parameters(seller_client, make_link, settings):
    """Previous/Next keep every GET parameter (core's pagination partial)."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": {"PAGE_SIZE": 1}}
    make_link(slug="sale-a")
    make_link(slug="sale-b")
    make_link(slug="other")
    first = seller_client.get(LIST, {"q": "sale", "utm": "mail"}).content.decode()
    assert "/s/sale-b" in first and "Page 1 of 2" in first
    following = _page_link(first, "next")
    assert parse_qs(following.lstrip("?")) == {"q": ["sale"], "utm": ["mail"], "page": ["2"]}
    second = seller_client.get(LIST + following).content.decode()
    assert "/s/sale-a" in second and "/s/other" not in second and "Page 2 of 2" in second
    assert parse_qs(_page_link(second, "prev").lstrip("?")) == {
        "q": ["sale"], "utm": ["mail"], "page": ["1"]}


def _list_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


#: The list's queries, whatever the number of rows: session, user with the visitor's
#: seller and verified-address rows (core's PersonModelBackend), count, page, and the
#: page's links' purchases and revenue (one aggregate).
LIST_QUERIES = 5


@pytest.mark.by_database
@pytest.mark.parametrize("rows", [1, 20, 45])
def test_list_makes_the_same_queries_for_one_row_and_many(seller_client, make_link, rows):
    for n in range(rows):
        make_link(slug=f"link-{n}")
    assert _list_queries(seller_client) == LIST_QUERIES
