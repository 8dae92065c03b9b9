"""The optional gtag.js tag: storefront pages only, with the CSP nonce, after consent."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from marketplace_core.testing.factories import logged_in
from tests.conftest import configure

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(fake_ga4, settings):
    configure(settings, PAGE_TAG=True)
    # Before core's AnonymousPageMiddleware, which must stay last (E054): the CSP
    # header is added to the pages it answers too.
    last = settings.MIDDLEWARE[-1]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:-1], "tests.nonce_middleware.NonceMiddleware",
                           last]
    return fake_ga4


def tags(html: str) -> list[str]:
    return re.findall(r"<script[^>]*(?:googletagmanager|gtag-config)[^>]*>", html)


def test_storefront_pages_carry_the_tag_with_the_requests_nonce(tagged, client, make_product):
    product = make_product()

    response = client.get(product.get_absolute_url())

    html = response.content.decode()
    loader, config = tags(html)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    assert f'nonce="{nonce}"' in loader and f'nonce="{nonce}"' in config
    assert f"gtag/js?id={tagged.measurement_id}" in loader
    assert f'data-measurement-id="{tagged.measurement_id}"' in config
    assert html.index("gtag-config") < html.index("</head>")


def test_seller_pages_and_the_api_carry_no_tag(tagged, make_seller):
    client = logged_in(make_seller())

    assert tags(client.get("/seller/").content.decode()) == []
    assert "gtag" not in client.get("/api/v1/seller/dashboard").content.decode()


def test_no_tag_unless_asked_for(fake_ga4, client):
    assert tags(client.get("/").content.decode()) == []


def test_with_consent_required_the_tag_waits_for_consent(tagged, client, settings):
    configure(settings, REQUIRE_CONSENT=True)

    assert tags(client.get("/").content.decode()) == []
    client.cookies["analytics_consent"] = "denied"
    assert tags(client.get("/").content.decode()) == []
    client.cookies["analytics_consent"] = "granted"
    assert len(tags(client.get("/").content.decode())) == 2


def test_without_a_csp_middleware_the_tag_has_no_nonce(fake_ga4, client, settings):
    configure(settings, PAGE_TAG=True)

    assert all("nonce" not in tag for tag in tags(client.get("/").content.decode()))


def test_a_page_from_the_page_cache_gets_each_requests_nonce_and_consent(tagged, client,
                                                                          settings,
                                                                          make_product,
                                                                          django_assert_num_queries):
    configure(settings, REQUIRE_CONSENT=True)
    url = make_product().get_absolute_url()
    assert tags(client.get(url).content.decode()) == []  # rendered and cached without consent

    client.cookies["analytics_consent"] = "granted"
    nonces = []
    for _ in range(2):
        with django_assert_num_queries(0):  # served from the page cache
            response = client.get(url)
        loader, _config = tags(response.content.decode())
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
        assert f'nonce="{nonce}"' in loader
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_a_tag_with_a_nonce_is_never_answered_304_and_one_without_is(tagged, client,
                                                                     settings, make_product):
    url = make_product().get_absolute_url()
    client.get(url)  # cached
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200  # a new nonce

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("NonceMiddleware")]
    client = Client()  # a client loads its middleware once
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
