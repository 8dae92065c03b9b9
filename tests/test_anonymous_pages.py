"""Anonymous visitors' cached pages answered before URL resolution
(``AnonymousPageMiddleware``): the same page, headers and validators as the view
gives, never to anyone the view would answer differently."""

from __future__ import annotations

import re

import pytest
from django.core.checks import run_checks
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils.html import format_html

from marketplace_core.catalog import anonymous_pages, services
from marketplace_core.catalog.anonymous_pages import MIDDLEWARE_PATH, lookup, may_be_storefront_page
from marketplace_core.maintenance.state import forget_runtime_flag
from marketplace_core.plugins.manager import get_plugin_manager, register
from marketplace_core.plugins.markers import hookimpl
from marketplace_core.testing.factories import buy, logged_in

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'(name="csrf-token" content=")[^"]+"')


@pytest.fixture
def guide(make_seller, make_product, make_category):
    seller = make_seller(name="Ada Lovelace")
    product = make_product(seller=seller, title="Harbour Guide", price=1500, is_featured=True)
    product.categories.add(make_category(seller=seller, name="Maps"))
    return product


def _remembered(path: str, **headers: str) -> bool:
    """Whether an alias of ``path`` (as the test client asks for it) is current."""
    return lookup(RequestFactory().get(path, headers=headers)) is not None


def _served_twice(client: Client, path: str) -> tuple[HttpResponse, HttpResponse]:
    first = client.get(path)  # rendered by the view, which remembers the page
    assert _remembered(path)
    return first, client.get(path)  # answered from the alias


@pytest.mark.parametrize("path", ["/", "/products/", "/products/?category=maps&page=1",
                                  "{detail}", "/products/?q=harbour"])
def test_the_alias_serves_what_the_view_serves(client, guide, path, django_assert_num_queries):
    path = path.format(detail=guide.get_absolute_url())
    first = client.get(path)
    with django_assert_num_queries(0):
        second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert _remembered(path)
    assert TOKEN.sub(r"\1", second.content.decode()) == TOKEN.sub(r"\1", first.content.decode())
    assert "Harbour Guide" in second.content.decode()
    for header in ("Content-Type", "Vary", "Cache-Control", "Last-Modified",
                   "X-Frame-Options", "Content-Length"):
        assert second.headers.get(header) == first.headers.get(header), header
    # The same validator (the page and the CSRF cookie are the same), so a 304 either way.
    assert second["ETag"] == first["ETag"]
    assert client.get(path, headers={"If-None-Match": second["ETag"]}).status_code == 304


def test_each_response_masks_the_token_anew_and_it_passes_csrf(guide):
    browser = Client(enforce_csrf_checks=True)
    first, second = _served_twice(browser, "/")
    tokens = [TOKEN.search(r.content.decode()).group(0) for r in (first, second)]
    assert tokens[0] != tokens[1]  # a new mask per response (BREACH)
    token = tokens[1].split('content="')[1].rstrip('"')
    response = browser.post("/accounts/login/", {
        "csrfmiddlewaretoken": token, "username": "x@example.com", "password": "x"})
    assert response.status_code == 200  # the form again (wrong password), not a 403


def test_a_first_visit_gets_a_csrf_cookie_from_the_alias(guide):
    _served_twice(Client(), "/products/")
    newcomer = Client(enforce_csrf_checks=True)
    response = newcomer.get("/products/")
    assert "csrftoken" in response.cookies
    token = TOKEN.search(response.content.decode()).group(0).split('content="')[1].rstrip('"')
    login = newcomer.post("/accounts/login/", {
        "csrfmiddlewaretoken": token, "username": "x@example.com", "password": "x"})
    assert login.status_code == 200


class _PageNameTag:
    """A plugin whose head tag names the page (as analytics_ga4 picks storefront pages)."""

    @hookimpl
    def head_tags(self, request):
        match = request.resolver_match
        return [format_html('<meta name="page" content="{}">', match.view_name if match else "")]


def test_plugins_see_which_page_the_alias_answers(client, guide):
    manager = get_plugin_manager()
    register(manager, _PageNameTag(), "test-page-name-tag")
    try:
        for path, name in (("/products/", "marketplace:product_list"),
                           (guide.get_absolute_url(), "marketplace:product_detail")):
            for response in _served_twice(client, path):
                assert f'<meta name="page" content="{name}">' in response.content.decode()
    finally:
        manager.unregister(name="test-page-name-tag")


def test_a_change_retires_the_alias(client, guide):
    _served_twice(client, "/products/")
    guide.price = 999
    services.save_product(guide, seller=guide.seller, publish=True)
    assert not _remembered("/products/")
    assert "$9.99" in client.get("/products/").content.decode()


def test_an_owner_never_gets_the_alias(client, guide, make_user):
    path = guide.get_absolute_url()
    _served_twice(client, path)
    buyer = make_user(email="owner@example.com")
    buy(buyer, guide)
    html = logged_in(buyer).get(path).content.decode()
    assert "Download" in html and "Log in" not in html


def test_tracking_parameters_share_the_page_but_get_no_alias(client, guide):
    _served_twice(client, "/products/")
    tracked = "/products/?utm_source=newsletter"
    for _ in range(2):
        assert "Harbour Guide" in client.get(tracked).content.decode()
    assert not _remembered(tracked)


def test_htmx_requests_get_their_fragment_not_the_page(client, guide):
    _served_twice(client, "/products/")
    headers = {"HX-Request": "true", "HX-Target": "results"}
    for _ in range(2):
        fragment = client.get("/products/", headers=headers).content.decode()
        assert "Harbour Guide" in fragment and "<html" not in fragment
    assert "<html" in client.get("/products/").content.decode()


def test_maintenance_mode_wins_over_the_alias(client, guide, settings):
    _served_twice(client, "/")
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    forget_runtime_flag()
    assert client.get("/").status_code == 503


def test_without_the_middleware_no_alias_is_written(client, guide, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    for _ in range(2):
        assert "Harbour Guide" in client.get("/products/").content.decode()
    assert not _remembered("/products/")


def test_only_storefront_paths_cost_a_cache_read(guide):
    """The views of cached pages are found in the URLconf once: other paths (the
    API, panels, downloads, unknown ones) are never looked up."""
    def may(path: str) -> bool:
        return may_be_storefront_page(RequestFactory().get(path))

    for path in ("/", "/products/", guide.get_absolute_url(), "/products/anything/else/"):
        assert may(path), path
    for path in ("/account/products/", "/seller/products/", "/api/v1/products",
                 "/accounts/login/", "/healthz", "/static/x.css", "/nowhere"):
        assert not may(path), path


@pytest.mark.urls("tests.urls_shop")
def test_a_mounted_storefront_is_found_under_its_prefix(client, guide):
    assert may_be_storefront_page(RequestFactory().get("/shop/products/"))
    assert not may_be_storefront_page(RequestFactory().get("/products/"))
    first = client.get("/shop/products/")
    second = client.get("/shop/products/")
    assert first.status_code == second.status_code == 200
    assert "Harbour Guide" in second.content.decode()
    assert f'href="{guide.get_absolute_url()}"' in second.content.decode()  # /shop/products/...


def test_e054_the_middleware_must_be_last(settings):
    def ids() -> set[str]:
        return {message.id for message in run_checks()}

    others = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    assert "marketplace_core.E054" not in ids()
    with override_settings(MIDDLEWARE=[*others[:-1], MIDDLEWARE_PATH, others[-1]]):
        assert "marketplace_core.E054" in ids()
    with override_settings(MIDDLEWARE=others):
        assert "marketplace_core.E054" not in ids()
    assert anonymous_pages.MIDDLEWARE_PATH == MIDDLEWARE_PATH
