"""Storefront pages from the shared cache: a seller's change shows on the next
request, nobody sees another visitor's state, browsers revalidate with 304."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import Client

from marketplace_core.catalog import services
from marketplace_core.catalog.models import Product
from marketplace_core.catalog.versions import catalog_version, shared_cache
from marketplace_core.people.records import set_shop_name
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import buy, logged_in, refund
from marketplace_core.testing.servers import RedisServer
from tests.test_catalog import actions, titles

pytestmark = pytest.mark.django_db

PAGES = ("/", "/products/")


@pytest.fixture
def world(make_seller, make_product, make_category, make_user):
    seller = make_seller(name="Ada Lovelace")
    category = make_category(seller=seller, name="Maps")
    guide = make_product(seller=seller, title="Harbour Guide", price=1500, is_featured=True)
    guide.categories.add(category)
    other = make_product(seller=seller, title="Lighthouse Atlas")
    return {"seller": seller, "category": category, "guide": guide, "other": other,
            "buyer": make_user(email="buyer@example.com")}


def _html(client: Client, path: str, **params: object) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, response
    return response.content.decode()


def _warm(client: Client, *paths: str, django_assert_num_queries) -> None:
    """Visit ``paths`` twice: the second visit must come from the page cache."""
    for path in paths:
        _html(client, path)
        with django_assert_num_queries(0):
            _html(client, path)


def test_anonymous_pages_come_from_the_cache(client, world, django_assert_num_queries):
    detail = world["guide"].get_absolute_url()
    _warm(client, *PAGES, detail, "/products/?category=maps",
          django_assert_num_queries=django_assert_num_queries)
    with django_assert_num_queries(0):
        html = _html(client, "/products/", category="maps")
    assert titles(html) == ["Harbour Guide"]
    # Unknown parameters share the page (they cannot fill the cache with copies).
    with django_assert_num_queries(0):
        assert "Harbour Guide" in _html(client, detail, utm_source="mail")


# ---------------------------------------------------------------------------
# a seller's change shows on the next request
# ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_changes_show_on_the_next_anonymous_request(client, world, make_category,
                                                    django_assert_num_queries):
    """Committed, as the seller's panel commits them: publish, price, categories,
    unpublish and delete, each seen on the next request to every cached page."""
    seller, guide = world["seller"], world["guide"]
    detail = guide.get_absolute_url()
    draft = Product.objects.create(seller=seller, title="Tide Tables", slug="tide-tables",
                                   price=700, status=Product.Status.DRAFT)
    draft.set_file(ContentFile(b"%PDF-1.4 tides\n", name="tides.pdf"))
    draft.save()
    _warm(client, *PAGES, detail, django_assert_num_queries=django_assert_num_queries)
    assert "Tide Tables" not in _html(client, "/products/")

    services.save_product(draft, seller=seller, publish=True)
    assert "Tide Tables" in _html(client, "/products/")
    assert "Tide Tables" in _html(client, "/")

    guide.price = 2500
    services.save_product(guide, seller=seller, publish=True)
    assert "$25.00" in _html(client, detail)
    assert re.search(r"Harbour Guide.*?\$25\.00", _html(client, "/products/"), re.S)

    assert titles(_html(client, "/products/", category="maps")) == ["Harbour Guide"]
    charts = make_category(seller=seller, name="Charts")
    services.save_product(guide, seller=seller, publish=True, categories=[charts])
    assert titles(_html(client, "/products/", category="maps")) == []
    assert titles(_html(client, "/products/", category="charts")) == ["Harbour Guide"]
    assert "Charts" in _html(client, detail)

    services.unpublish_product(guide, seller=seller)
    assert client.get(detail).status_code == 404
    assert "Harbour Guide" not in _html(client, "/products/")
    assert "Harbour Guide" not in _html(client, "/")

    services.delete_product(world["other"], actor=seller)
    assert "Lighthouse Atlas" not in _html(client, "/products/")
    assert client.get(world["other"].get_absolute_url()).status_code == 404


def test_panel_changes_and_renames_show_on_the_next_request(client, world,
                                                            django_assert_num_queries):
    seller, guide = world["seller"], world["guide"]
    _warm(client, "/products/", django_assert_num_queries=django_assert_num_queries)
    # A category renamed, and the seller's shown name: both are on cached pages.
    world["category"].name = "Sea Maps"
    services.save_category(world["category"], seller=seller)
    assert "Sea Maps" in _html(client, "/products/")
    set_shop_name(seller, "Ada King")  # the user's own name field, or the person's row
    assert "by Ada King" in _html(client, "/products/")

    panel = logged_in(seller)
    assert panel.post(f"/seller/products/{guide.pk}/unpublish/").status_code == 302
    assert titles(_html(client, "/products/")) == ["Lighthouse Atlas"]
    assert "Sea Maps" not in _html(client, "/products/")  # no published product left in it


def test_a_logins_last_login_update_keeps_the_cache(client, world, django_assert_num_queries):
    _warm(client, "/products/", django_assert_num_queries=django_assert_num_queries)
    version = catalog_version()
    logged_in(world["seller"])  # force_login saves last_login
    assert catalog_version() == version


# ---------------------------------------------------------------------------
# nobody sees another visitor's state
# ---------------------------------------------------------------------------


def test_an_owner_never_gets_a_cached_buy_button(client, world, django_assert_num_queries):
    guide, buyer = world["guide"], world["buyer"]
    detail = guide.get_absolute_url()
    _warm(client, detail, "/products/", django_assert_num_queries=django_assert_num_queries)
    assert actions(_html(client, detail)) == ["login"]

    other = logged_in(world["seller"])
    assert actions(_html(other, detail)) == ["edit"]  # the seller's own: no Buy button
    purchase = buy(buyer, guide)
    owner = logged_in(buyer)
    page = _html(owner, detail)
    assert actions(page) == ["download"]
    assert "buyer@example.com" not in _html(client, detail)  # no leak the other way
    assert actions(_html(client, detail)) == ["login"]
    assert actions(_html(other, detail)) == ["edit"]

    listing = _html(owner, "/products/")
    owned = re.findall(r'data-product="([^"]+)".*?</article>', listing, re.S)
    assert len(owned) == 2
    assert re.search(rf'data-product="{guide.slug}"(?:(?!</article>).)*data-owned', listing,
                     re.S)
    assert listing.count("data-owned") == 1
    assert "data-owned" not in _html(client, "/products/")
    assert "data-owned" not in _html(other, "/products/")

    refund(purchase)
    assert actions(_html(owner, detail)) == ["buy"]
    assert "data-owned" not in _html(owner, "/products/")
    # Their parts and owned ids are cached now: buying again shows at once.
    assert actions(_html(owner, detail)) == ["buy"]
    buy(buyer, guide)
    assert actions(_html(owner, detail)) == ["download"]
    assert _html(owner, "/products/").count("data-owned") == 1


@pytest.mark.django_db(transaction=True)
def test_a_persons_changes_show_on_their_next_cached_page(client, world,
                                                          django_assert_num_queries):
    """Committed: what a logged-in visitor's cached parts show follows their
    purchases, refunds, seller status, name and verified address."""
    from marketplace_core.people.records import mark_email_verified
    from marketplace_core.roles import make_seller, revoke_seller

    guide, buyer = world["guide"], world["buyer"]
    detail = guide.get_absolute_url()
    owner = logged_in(buyer)
    for path in (detail, "/products/"):
        _html(owner, path)
        with django_assert_num_queries(2):  # their parts and owned ids are cached
            _html(owner, path)
    assert actions(_html(owner, detail)) == ["buy"]
    purchase = buy(buyer, guide)
    assert actions(_html(owner, detail)) == ["download"]
    assert "data-owned" in _html(owner, "/products/")
    refund(purchase)
    assert actions(_html(owner, detail)) == ["buy"]
    assert "data-owned" not in _html(owner, "/products/")
    buy(buyer, guide)
    assert actions(_html(owner, detail)) == ["download"]

    assert 'data-nav="seller-dashboard"' not in _html(owner, "/products/")
    make_seller(buyer)
    assert 'data-nav="seller-dashboard"' in _html(owner, "/products/")
    revoke_seller(buyer)
    assert 'data-nav="seller-dashboard"' not in _html(owner, "/products/")

    assert "Please confirm your email address" not in _html(owner, "/products/")
    buyer.email = "grace@example.com"  # a new address is not verified yet
    buyer.save()
    assert "Please confirm your email address" in _html(owner, "/products/")
    mark_email_verified(buyer)
    assert "Please confirm your email address" not in _html(owner, "/products/")
    assert 'data-nav="profile">Grace<' not in _html(owner, "/products/")
    set_shop_name(buyer, "Grace Hopper")
    assert 'data-nav="profile">Grace<' in _html(owner, "/products/")


def test_a_plugins_nav_token_decides_whether_cached_parts_serve(world, settings):
    """A plugin whose navigation shows its own data says so through
    ``nav_cache_token``: a new token renders the parts again; NAV_NOT_CACHED
    renders them for every request."""
    from marketplace_core import hookimpl
    from marketplace_core.plugins.manager import get_plugin_manager
    from marketplace_core.plugins.types import NAV_NOT_CACHED, NavItem

    state = {"count": 1, "token": "1"}

    class Badge:
        @hookimpl
        def nav_items(self, request, area):
            if area != "account" or not request.user.is_authenticated:
                return []
            return [NavItem(f"Inbox ({state['count']})", "/inbox/", 900, "inbox")]

        @hookimpl
        def nav_cache_token(self, request):
            return state["token"]

    manager = get_plugin_manager()
    plugin = Badge()
    manager.register(plugin, name="badge-test")
    try:
        owner = logged_in(world["buyer"])
        assert "Inbox (1)" in _html(owner, "/products/")
        state["count"] = 2  # the same token: the cached parts serve
        assert "Inbox (1)" in _html(owner, "/products/")
        state["token"] = "2"
        assert "Inbox (2)" in _html(owner, "/products/")
        state["token"] = NAV_NOT_CACHED
        for count in (3, 4):
            state["count"] = count
            assert f"Inbox ({count})" in _html(owner, "/products/")
    finally:
        manager.unregister(plugin)


def test_logged_in_pages_reuse_the_cached_page_with_their_own_parts(
    client, world, django_assert_num_queries
):
    """Session, the user with the person's rows, and once what they own (kept for
    them in the cache, as their rendered parts are): nothing of the catalog."""
    buy(world["buyer"], world["guide"])
    owner = logged_in(world["buyer"])
    detail = world["guide"].get_absolute_url()
    _warm(client, "/", "/products/", detail, django_assert_num_queries=django_assert_num_queries)
    for visit, path in enumerate(("/", "/products/", detail, "/", "/products/", detail)):
        with django_assert_num_queries(3 if visit == 0 else 2):
            html = _html(owner, path)
        assert "Log out" in html and "Log in" not in html
        assert "data-owned" in html or actions(html) == ["download"]
        assert "ETag" not in owner.get(path)  # a page of one person's: no validator


def test_messages_show_once_and_are_never_cached(world, django_assert_num_queries):
    panel = logged_in(world["seller"])
    anonymous = Client()
    _warm(anonymous, "/products/", django_assert_num_queries=django_assert_num_queries)
    panel.post(f"/seller/products/{world['other'].pk}/unpublish/")
    first = _html(panel, "/products/")
    assert "is unpublished" in first
    assert "is unpublished" not in _html(panel, "/products/")
    assert "is unpublished" not in _html(anonymous, "/products/")


def test_an_anonymous_visitor_with_a_message_gets_it(client, world, rf):
    _html(client, "/")
    assert "data-nav" in _html(client, "/")  # cached now
    storage = CookieStorage(rf.get("/"))
    storage.add(constants.INFO, "Welcome back, sailor.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies.update(carrier.cookies)
    assert "Welcome back, sailor." in _html(client, "/")
    assert "Welcome back, sailor." not in _html(client, "/")


def test_a_project_base_without_user_parts_is_never_served_to_logged_in_visitors(
    settings, tmp_path, world, client
):
    """A project's ``BASE_TEMPLATE`` that names the user outside ``user_part``
    blocks: its anonymous page is cached, a logged-in visitor gets a page rendered
    for them, and a shell rendered for a logged-in visitor shows nobody's name.
    (The shop's own parts inside it, notices and Buy, do not make it safe.)"""
    (tmp_path / "site_base.html").write_text(
        "<head>{% include 'marketplace_core/includes/wiring.html' %}</head>"
        "<body>{% if user.is_authenticated %}Hello {{ user.email }}{% else %}Welcome"
        "{% endif %}{% block content %}{% endblock %}</body>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.MARKETPLACE = {**settings.MARKETPLACE, "BASE_TEMPLATE": "site_base.html"}
    buyer = logged_in(world["buyer"])
    detail = world["guide"].get_absolute_url()
    for path in ("/", detail):
        assert "Hello buyer@example.com" in _html(buyer, path)  # rendered first, as the shell
        assert "Welcome" in _html(client, path) and "buyer@" not in _html(client, path)
        assert "Hello buyer@example.com" in _html(buyer, path)


def test_a_project_base_with_user_parts_is_served_from_the_cache_to_everyone(
    settings, tmp_path, world, client, django_assert_num_queries
):
    """A ``BASE_TEMPLATE`` that keeps who is looking in ``user_part`` blocks gets
    the logged-in visitor's page from the cache, with their own parts."""
    (tmp_path / "site_base.html").write_text(
        "{% load marketplace_page_cache %}"
        "<head>{% include 'marketplace_core/includes/wiring.html' %}</head>"
        "<body>{% user_part 'who' %}{% if user.is_authenticated %}Hello {{ user.email }}"
        "{% else %}Welcome{% endif %}{% end_user_part %}{% block content %}{% endblock %}</body>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.MARKETPLACE = {**settings.MARKETPLACE, "BASE_TEMPLATE": "site_base.html"}
    buyer = logged_in(world["buyer"])
    assert "Welcome" in _html(client, "/")  # the shell
    with django_assert_num_queries(3):  # session, user with the person's rows, owned
        assert "Hello buyer@example.com" in _html(buyer, "/")


def test_drafts_previewed_by_their_seller_are_not_cached(client, world, make_product):
    draft = make_product(seller=world["seller"], title="Secret Chart",
                         status=Product.Status.DRAFT)
    seller = logged_in(world["seller"])
    assert "Preview" in _html(seller, draft.get_absolute_url())
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_maintenance_pages_are_not_cached(client, world, settings):
    staff = logged_in(world["seller"])
    world["seller"].is_staff = True
    world["seller"].save(update_fields=["is_staff"])
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    from marketplace_core.maintenance.state import forget_runtime_flag

    forget_runtime_flag()
    assert "Maintenance mode is on" in _html(staff, "/")
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": False}
    forget_runtime_flag()
    assert "Maintenance mode is on" not in _html(client, "/")
    assert "Maintenance mode is on" not in _html(client, "/")


def test_the_cached_page_carries_a_csrf_token_that_works(world):
    """The token is filled per request: a form posted from a cached page passes."""
    browser = Client(enforce_csrf_checks=True)
    _html(browser, "/")
    page = _html(browser, "/")  # from the cache
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token and "Placeholder" not in token.group(1)
    response = browser.post("/accounts/login/", {
        "csrfmiddlewaretoken": token.group(1), "username": "x@example.com", "password": "x"})
    assert response.status_code == 200  # the form again (wrong password), not a 403


def test_setting_the_timeout_to_zero_turns_the_cache_off(client, world, settings,
                                                         django_assert_num_queries):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PAGE_CACHE_TIMEOUT": 0}
    _html(client, "/products/")
    response = client.get("/products/")
    assert "ETag" not in response
    Product.objects.filter(pk=world["guide"].pk).update(title="Renamed quietly")
    assert "Renamed quietly" in _html(client, "/products/")


# ---------------------------------------------------------------------------
# conditional GETs
# ---------------------------------------------------------------------------


def test_conditional_gets_answer_304_until_the_catalog_changes(client, world):
    first = client.get("/products/")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and "no-cache" in first["Cache-Control"]
    again = client.get("/products/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/products/", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.head("/products/", headers={"If-None-Match": etag}).status_code == 304

    world["guide"].price = 999
    services.save_product(world["guide"], seller=world["seller"], publish=True)
    changed = client.get("/products/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "$9.99" in changed.content.decode()
    assert changed["ETag"] != etag
    other_page = client.get("/", headers={"If-None-Match": changed["ETag"]})
    assert other_page.status_code == 200  # one page's validator is not another's


def test_a_new_csrf_cookie_gets_a_new_page(client, world):
    """The body holds a token for the browser's CSRF cookie: a browser whose
    cookie changed must not keep its old copy."""
    etag = client.get("/").headers["ETag"]
    client.cookies["csrftoken"] = "a" * 32
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_logged_in_visitors_get_no_validators(world):
    owner = logged_in(world["buyer"])
    response = owner.get("/products/")
    assert "ETag" not in response and "Last-Modified" not in response
    assert "private" in response["Cache-Control"]


def test_htmx_fragments_are_cached_apart_from_pages(client, world, django_assert_num_queries):
    headers = {"HX-Request": "true", "HX-Target": "results"}
    page = _html(client, "/products/")
    fragment = client.get("/products/", headers=headers).content.decode()
    with django_assert_num_queries(0):
        again = client.get("/products/", headers=headers)
    assert "<html" in page and "<html" not in fragment
    assert again.content.decode() == fragment
    assert "HX-Request" in again["Vary"]


# ---------------------------------------------------------------------------
# a shared cache that fails
# ---------------------------------------------------------------------------


@pytest.fixture
def redis_cache(settings) -> Iterator[RedisServer]:
    server = RedisServer().start()
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}
    shared_cache.reset()
    try:
        yield server
    finally:
        assert server.process is not None
        if server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()
        shared_cache.reset()


def test_a_change_made_while_the_cache_hangs_shows_once_it_answers(
    client, world, redis_cache, django_assert_num_queries
):
    """The bump that could not reach Redis is not lost: pages cached before the
    outage are not served after it."""
    _warm(client, "/products/", django_assert_num_queries=django_assert_num_queries)
    assert redis_cache.process is not None
    os.kill(redis_cache.process.pid, signal.SIGSTOP)
    Product.objects.filter(pk=world["guide"].pk).update(title="Harbour Guide, 2nd ed.")
    services.unpublish_product(world["other"], seller=world["seller"])
    assert "Harbour Guide, 2nd ed." in _html(client, "/products/")  # from the database
    os.kill(redis_cache.process.pid, signal.SIGCONT)
    wait_until(lambda: "Lighthouse Atlas" not in _html(client, "/products/")
               and shared_cache.degraded is False, timeout=30,
               what="the page cache to answer again, without the unpublished product")
    assert "Harbour Guide, 2nd ed." in _html(client, "/products/")


def test_a_new_person_with_a_deleted_ones_key_gets_their_own_parts(world, make_user):
    """A user model whose keys can come back (a chosen primary key): the new
    person never sees the parts cached for the deleted one."""
    gone = make_user(email="gone@example.com", email_verified=False)  # no person rows
    set_shop_name(gone, "Zelda Gone")
    pk = gone.pk
    assert 'data-nav="profile">Zelda<' in _html(logged_in(gone), "/products/")
    gone.delete()
    again = type(gone)(pk=pk, email="new@example.com")
    again.set_unusable_password()
    again.save()  # the key of the deleted user
    html = _html(logged_in(again), "/products/")
    assert 'data-nav="profile">new' in html and "Zelda" not in html
