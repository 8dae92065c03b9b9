"""Storefront pages cached in Redis stay correct across web processes.

Two gunicorn servers of the example site (one worker process each) share the
test database and Redis, as two machines behind a load balancer do. A seller
unpublishes a product through one of them; the very next request to the other
no longer shows it, although that server answered from its cache just before
(a 304 for the browser's copy proves it).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from integration.processes import WebServer, example_site_server
from marketplace_core.catalog import services
from marketplace_core.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def servers(transactional_db: None) -> Iterator[tuple[WebServer, WebServer]]:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs --marketplace-redis: the processes share the page cache in Redis")
    with example_site_server("integration.settings", workers=1) as one, \
            example_site_server("integration.settings", workers=1) as two:
        yield one, two


def _get(server: WebServer, path: str, opener: urllib.request.OpenerDirector | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(server.url + path, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def _sign_in(server: WebServer, email: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser session signed in on ``server``, and a CSRF token for its forms."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, form, _ = _get(server, "/accounts/login/", opener)
    assert status == 200, form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, form
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": email,
                                   "password": DEFAULT_PASSWORD}).encode()
    with opener.open(server.url + "/accounts/login/", data=data, timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token, page
    return opener, token.group(1)


def test_a_change_through_one_process_shows_on_the_next_request_to_the_other(
    servers: tuple[WebServer, WebServer], make_seller: Any, make_product: Any
) -> None:
    one, two = servers
    seller = make_seller(email="seller@example.com")
    atlas = make_product(seller=seller, title="Harbour Atlas")
    make_product(seller=seller, title="Tide Tables")

    # A browser keeps its CSRF cookie (the page's token is for it) and its copy.
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _get(two, "/products/", browser)
    status, page, headers = _get(two, "/products/", browser)
    assert status == 200 and "Harbour Atlas" in page
    status, _, _ = _get(two, "/products/", browser, {"If-None-Match": headers["ETag"]})
    assert status == 304  # served from the cache
    assert "Harbour Atlas" in _get(one, "/products/")[1]

    panel, token = _sign_in(one, seller.email)
    unpublish = urllib.request.Request(
        f"{one.url}/seller/products/{atlas.pk}/unpublish/",
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode())
    with panel.open(unpublish, timeout=30) as response:
        assert response.status == 200  # the product list after the redirect

    status, page, _ = _get(two, "/products/", browser, {"If-None-Match": headers["ETag"]})
    assert status == 200
    assert "Harbour Atlas" not in page and "Tide Tables" in page
    assert _get(two, atlas.get_absolute_url())[0] == 404

    # A change from a third process (a command, a worker: here the test itself).
    atlas.refresh_from_db()
    atlas.price = 4200
    services.save_product(atlas, seller=seller, publish=True)
    for server in (one, two):
        status, page, _ = _get(server, atlas.get_absolute_url())
        assert status == 200 and "$42.00" in page


def test_an_owner_sees_a_purchase_and_a_refund_on_the_next_request_to_any_process(
    servers: tuple[WebServer, WebServer], make_seller: Any, make_product: Any, make_user: Any
) -> None:
    """A buyer's parts of cached pages (Buy or Download, the Owned badge) are kept
    for them in Redis: a purchase, a refund and a second purchase made elsewhere
    (here the test process, as a webhook's worker would) each show on the next
    request to either server."""
    from marketplace_core.testing.factories import buy, refund

    one, two = servers
    seller = make_seller(email="seller@example.com")
    atlas = make_product(seller=seller, title="Harbour Atlas")
    buyer = make_user(email="buyer@example.com")
    browser, _ = _sign_in(one, buyer.email)
    detail = atlas.get_absolute_url()

    def shown() -> set[str]:
        seen = set()
        for server in (one, two, one, two):  # the second round from their cached parts
            status, page, _ = _get(server, detail, browser)
            assert status == 200, page
            seen.update(re.findall(r'data-action="([a-z]+)"', page))
            listing = _get(server, "/products/", browser)[1]
            seen.update(["owned"] if "data-owned" in listing else [])
        return seen

    assert shown() == {"buy"}
    purchase = buy(buyer, atlas)
    assert shown() == {"download", "owned"}
    refund(purchase)
    assert shown() == {"buy"}
    buy(buyer, atlas)
    assert shown() == {"download", "owned"}
