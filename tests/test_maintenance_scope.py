"""``MAINTENANCE_SCOPE``: by default maintenance mode closes only the framework's
URLs (namespaces ``marketplace``, ``marketplace-api`` and each enabled plugin's),
so the rest of an integrating project keeps working; ``"site"`` closes every URL.
(The plugins' namespaces: ``test_plugin_urls_and_nav``.)"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.checks import Error, run_checks
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from marketplace_core.maintenance.state import set_runtime_flag

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

MAINTENANCE_TEXT = "We'll be back soon"


def blog(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the project's blog")


# This module doubles as a URLconf: a project with its own pages and the shop under /shop/.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("blog/", blog, name="blog"),
    path("shop/", include("marketplace_core.urls")),
]


@pytest.fixture
def maintenance_on() -> None:
    set_runtime_flag(True)


def _closed(response: HttpResponse) -> bool:
    return response.status_code == 503 and MAINTENANCE_TEXT in response.content.decode()


@pytest.mark.usefixtures("maintenance_on")
def test_by_default_only_the_shop_closes(client, make_product) -> None:
    product = make_product()
    for url in ["/shop/", "/shop/products/", f"/shop/products/{product.slug}/",
                "/shop/accounts/register/", "/shop/seller/", "/shop/api/v1/docs"]:
        assert _closed(client.get(url)), url
    assert client.get("/blog/").content == b"the project's blog"
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/admin/").status_code == 302  # to the admin's login, not 503
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/shop/healthz").status_code == 200  # exempt, as before


@pytest.mark.usefixtures("maintenance_on")
def test_staff_still_pass_the_closed_shop(client, make_user, make_product) -> None:
    product = make_product()
    client.force_login(make_user(is_staff=True))
    assert client.get(f"/shop/products/{product.slug}/").status_code == 200


@pytest.mark.usefixtures("maintenance_on")
def test_site_scope_closes_the_project_pages_too(client, settings) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_SCOPE": "site"}
    for url in ["/blog/", "/admin/", "/no-such-page/", "/shop/products/"]:
        assert _closed(client.get(url)), url
    assert client.get("/admin/login/").status_code == 200  # staff can still sign in


@pytest.mark.usefixtures("maintenance_on")
def test_a_bad_scope_closes_every_url_and_is_an_error(client, settings) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_SCOPE": "shop"}
    assert _closed(client.get("/blog/"))
    [error] = [m for m in run_checks() if m.id == "marketplace_core.E012"]
    assert isinstance(error, Error)
    assert error.msg == ("MARKETPLACE['MAINTENANCE_SCOPE'] must be 'marketplace' or 'site'; "
                         "it is 'shop'.")


def test_the_valid_scopes_pass_the_check(settings) -> None:
    for scope in ("marketplace", "site"):
        settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_SCOPE": scope}
        assert [m for m in run_checks() if m.id == "marketplace_core.E012"] == []
