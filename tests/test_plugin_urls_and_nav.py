"""A plugin's URLs, nav items and API routers appear on the site.

The URLconf and the API are assembled once from the plugin manager, so these
tests install a manager with fake plugins, rebuild both, and put everything
back afterwards.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, clear_url_caches, reverse

from marketplace_core import api
from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import install
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

PAGE_HOOKS = """
from django.http import HttpResponse
from django.urls import path


def page(request):
    return HttpResponse("served by {name}")


@hookimpl
def register_urlpatterns():
    return [path("{route}", page, name="page")]
"""

FAKEPLUGIN_HOOKS = PAGE_HOOKS.format(name="fakeplugin", route="page/") + """

from marketplace_core.plugins.types import ApiRouter, NavItem


@hookimpl
def nav_items(request, area):
    if area == "main":
        return [NavItem("Fake plugin link", "/fakeplugin/page/", 150, "fake-link")]
    return []


def build_router():
    from ninja import Router

    router = Router(tags=["fake"])

    @router.get("/ping")
    def ping(request):
        return {"pong": True}

    return router


@hookimpl
def register_api_routers():
    return [ApiRouter(prefix="fake", build=build_router)]
"""


def rebuild_urlconf() -> None:
    import marketplace_core.urls
    import tests.urls

    importlib.reload(marketplace_core.urls)
    importlib.reload(tests.urls)
    clear_url_caches()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    # Older django-ninja refuses a second NinjaAPI with one namespace unless told.
    monkeypatch.setenv("NINJA_SKIP_REGISTRY", "1")
    saved_api = api._api
    try:
        with fake_site(tmp_path, monkeypatch) as s, preserved_plugin_manager():
            s.add_plugin("fakeplugin", hooks=FAKEPLUGIN_HOOKS)
            s.add_plugin(
                "fakeprefixed",
                url_prefix="x-fake",
                hooks=PAGE_HOOKS.format(name="fakeprefixed", route="page/"),
            )
            s.add_plugin(
                "fakeroot",
                url_prefix="",
                hooks=PAGE_HOOKS.format(name="fakeroot", route="fake-root-page/"),
            )
            install(load_plugins(["fakeplugin", "fakeprefixed", "fakeroot"]))
            api._api = None
            rebuild_urlconf()
            yield s
    finally:
        api._api = saved_api
        rebuild_urlconf()


def test_plugin_urls_are_mounted_under_the_plugin_name_as_namespace(
    site: FakeSite, client: Client
) -> None:
    assert reverse("fakeplugin:page") == "/fakeplugin/page/"

    response = client.get(reverse("fakeplugin:page"))

    assert response.status_code == 200
    assert response.content == b"served by fakeplugin"


def test_url_prefix_moves_the_mount_point_but_keeps_the_namespace(
    site: FakeSite, client: Client
) -> None:
    assert reverse("fakeprefixed:page") == "/x-fake/page/"
    assert client.get("/x-fake/page/").content == b"served by fakeprefixed"


def test_empty_url_prefix_mounts_at_the_site_root(site: FakeSite, client: Client) -> None:
    assert reverse("fakeroot:page") == "/fake-root-page/"
    assert client.get("/fake-root-page/").content == b"served by fakeroot"


@pytest.mark.django_db
def test_core_urls_still_resolve_next_to_plugins(site: FakeSite, client: Client) -> None:
    assert reverse("marketplace:product_list") == "/products/"
    assert client.get("/healthz").status_code == 200


class HeaderLinks(HTMLParser):
    """``(href, text)`` of every link inside the page's ``<header>``."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._in_header = False
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "header":
            self._in_header = True
        elif tag == "a" and self._in_header:
            self._href = dict(attrs).get("href") or ""
            self.links.append((self._href, ""))

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_header = False
        elif tag == "a":
            self._href = None


@pytest.mark.django_db
def test_plugin_nav_items_appear_in_the_page_header(site: FakeSite, client: Client) -> None:
    response = client.get(reverse("marketplace:product_list"))

    assert response.status_code == 200
    parser = HeaderLinks()
    parser.feed(response.content.decode())
    links = parser.links
    assert ("/fakeplugin/page/", "Fake plugin link") in links
    # Sorted by order: core's Products (100) before the plugin's link (150).
    products = links.index((reverse("marketplace:product_list"), "Products"))
    assert products < links.index(("/fakeplugin/page/", "Fake plugin link"))


def test_plugin_api_router_answers_under_api(site: FakeSite, client: Client) -> None:
    response = client.get("/api/v1/fake/ping")

    assert response.status_code == 200
    assert response.json() == {"pong": True}


def test_plugin_api_router_keeps_its_own_tags_in_the_schema(
    site: FakeSite, client: Client
) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    assert schema["paths"]["/api/v1/fake/ping"]["get"]["tags"] == ["fake"]


def test_plugin_urls_are_gone_once_the_fixture_restored_the_urlconf() -> None:
    """Runs after the tests above: their plugins' URLs must not leak into later tests."""
    with pytest.raises(NoReverseMatch):
        reverse("fakeplugin:page")


@pytest.mark.django_db
def test_maintenance_closes_plugin_urls_but_not_the_projects(site: FakeSite,
                                                              client: Client) -> None:
    """The default ``MAINTENANCE_SCOPE`` counts every enabled plugin's namespace as
    the framework's, whatever its prefix."""
    from marketplace_core.maintenance.state import set_runtime_flag

    set_runtime_flag(True)
    for url in ["/fakeplugin/page/", "/x-fake/page/", "/fake-root-page/", "/api/v1/fake/ping"]:
        assert client.get(url).status_code == 503, url
    assert client.get("/admin/login/").status_code == 200
