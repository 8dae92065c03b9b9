"""Maintenance mode (seed §10): the whole site answers 503 except what must not.

These tests close the whole site (``MAINTENANCE_SCOPE = "site"``, as the example
site does); ``test_maintenance_scope`` has the default, the framework's URLs only.

Switched on by ``MARKETPLACE["MAINTENANCE_MODE"]`` or at run time by
``manage.py maintenance on`` (or the admin), stored in the database. Staff, the
sign-in pages, the secret bypass parameter (and the signed cookie it sets),
webhooks, static files, the health endpoint and plugins'
``resolve_maintenance_bypass`` pass. With maintenance off the middleware costs
no database query while a process remembers the switch (a second).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.staticfiles.views import serve as serve_static
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path, re_path

from marketplace_core.maintenance.middleware import BYPASS_COOKIE, UnderConstructionMiddleware
from marketplace_core.maintenance.models import MaintenanceState
from marketplace_core.maintenance.state import RUNTIME_FLAG_TTL, forget_runtime_flag
from marketplace_core.plugins import manager
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import DEFAULT_PASSWORD
from tests import fake_hook_plugin

pytestmark = pytest.mark.django_db

SECRET = "open-sesame-7f3a9c"
MAINTENANCE_TEXT = "We'll be back soon"


def _ping(request: HttpRequest) -> HttpResponse:
    """A view that makes no database query."""
    return HttpResponse("pong")


# This module doubles as a URLconf (``@pytest.mark.urls(__name__)``): the site's
# URLs plus a query-free view and static files served through Django, as a
# development server or a site without a CDN does.
urlpatterns = [
    path("ping/", _ping),
    re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}),
    path("", include("tests.urls")),
]


@pytest.fixture(autouse=True)
def whole_site(settings):
    """Maintenance mode closes every URL, the admin's and unknown ones too."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_SCOPE": "site"}


@pytest.fixture
def maintenance_setting(settings):
    """Maintenance forced on by settings, with a bypass secret."""
    settings.MARKETPLACE = {
        **settings.MARKETPLACE,
        "MAINTENANCE_MODE": True,
        "MAINTENANCE_BYPASS_SECRET": SECRET,
        "MAINTENANCE_RETRY_AFTER": 900,
    }
    return settings


@pytest.fixture
def bypass_secret(settings):
    """A bypass secret configured, maintenance itself left to the run-time flag."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_BYPASS_SECRET": SECRET}
    return settings


def _site_pages(product) -> list[str]:
    return [
        "/",
        "/products/",
        product.get_absolute_url(),
        f"/products/{product.slug}/buy/",
        f"/products/{product.slug}/download/",
        "/accounts/register/",
        "/accounts/password-reset/",
        "/account/products/",
        "/seller/",
        "/admin/",
        "/api/v1/docs",
        "/no-such-page/",
    ]


def _assert_maintenance_page(response, retry_after: str = "900") -> None:
    assert response.status_code == 503, response
    assert response["Retry-After"] == retry_after
    assert "no-store" in response["Cache-Control"]
    assert MAINTENANCE_TEXT in response.content.decode()


def test_setting_blocks_every_page_with_503(maintenance_setting, client, make_product):
    product = make_product()
    for url in _site_pages(product):
        _assert_maintenance_page(client.get(url))


def test_api_operations_get_the_api_error_body_during_maintenance(maintenance_setting, client):
    response = client.get("/api/v1/products", headers={"Authorization": "Bearer mkp_x"})

    assert response.status_code == 503
    assert response["Retry-After"] == "900" and "no-store" in response["Cache-Control"]
    assert response.json() == {"detail": "Marketplace is closed for maintenance; try again "
                                         "later.", "code": "maintenance"}


def test_post_gets_maintenance_page_not_csrf_failure(maintenance_setting, make_user):
    """A form posted during maintenance is told why, not refused for its CSRF token."""
    user = make_user()
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/password-reset/", {"email": user.email})
    _assert_maintenance_page(response)


def test_logged_in_customer_is_blocked(maintenance_setting, client, make_user):
    client.force_login(make_user())
    _assert_maintenance_page(client.get("/account/products/"))


def test_command_switches_maintenance_on_and_off(bypass_secret, client, make_product):
    product = make_product(title="Command Guide")
    out = StringIO()

    call_command("maintenance", "on", stdout=out)
    assert "Maintenance mode is on" in out.getvalue()
    for url in ("/", "/products/", product.get_absolute_url()):
        _assert_maintenance_page(client.get(url), retry_after="3600")

    call_command("maintenance", "status", stdout=out)
    assert out.getvalue().count("Maintenance mode is on") == 2

    call_command("maintenance", "off", stdout=out)
    assert "Maintenance mode is off" in out.getvalue()
    page = client.get(product.get_absolute_url())
    assert page.status_code == 200
    assert "Command Guide" in page.content.decode()
    assert "Retry-After" not in page
    assert client.get("/products/").status_code == 200


def test_status_notes_when_forced_by_settings(maintenance_setting):
    out = StringIO()
    call_command("maintenance", "off", stdout=out)
    assert "Maintenance mode is on (forced on by MARKETPLACE['MAINTENANCE_MODE'])" in out.getvalue()


def test_staff_user_passes_and_sees_a_banner(maintenance_setting, client, make_user,
                                             make_product):
    product = make_product(title="Staff Preview")
    client.force_login(make_user(is_staff=True))
    page = client.get(product.get_absolute_url())
    assert page.status_code == 200
    assert "Staff Preview" in page.content.decode()
    assert "Maintenance mode is on" in page.content.decode()
    assert client.get("/products/").status_code == 200


def test_secret_parameter_passes_and_cookie_keeps_passing(maintenance_setting, client,
                                                          make_product):
    product = make_product(title="Secret Guide")
    first = client.get(f"/products/?maintenance_bypass={SECRET}")
    assert first.status_code == 200
    cookie = first.cookies[BYPASS_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert SECRET not in cookie.value  # the cookie never carries the secret itself

    # The following pages pass without the parameter.
    page = client.get(product.get_absolute_url())
    assert page.status_code == 200
    assert "Secret Guide" in page.content.decode()
    assert client.get("/").status_code == 200

    # A fresh browser without the cookie is still blocked.
    _assert_maintenance_page(Client().get(product.get_absolute_url()))


@pytest.mark.parametrize(
    "given",
    ["wrong", SECRET[:-1], SECRET + "x", SECRET.upper(), "", " " + SECRET],
)
def test_wrong_secret_does_not_pass(maintenance_setting, client, given):
    response = client.get("/products/", {"maintenance_bypass": given})
    _assert_maintenance_page(response)
    assert BYPASS_COOKIE not in response.cookies
    _assert_maintenance_page(client.get("/"))


def test_no_secret_configured_never_passes(settings, client):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    _assert_maintenance_page(client.get("/?maintenance_bypass="), retry_after="3600")


def test_forged_cookie_does_not_pass(maintenance_setting, client):
    client.cookies[BYPASS_COOKIE] = "anything"
    _assert_maintenance_page(client.get("/"))


def test_rotating_the_secret_invalidates_old_cookies(maintenance_setting, client):
    assert client.get(f"/?maintenance_bypass={SECRET}").status_code == 200
    assert client.get("/products/").status_code == 200

    maintenance_setting.MARKETPLACE = {
        **maintenance_setting.MARKETPLACE, "MAINTENANCE_BYPASS_SECRET": "rotated-secret-42",
    }
    _assert_maintenance_page(client.get("/products/"))
    _assert_maintenance_page(client.get(f"/products/?maintenance_bypass={SECRET}"))
    # The new secret works, and its cookie passes again.
    assert client.get("/?maintenance_bypass=rotated-secret-42").status_code == 200
    assert client.get("/products/").status_code == 200


def test_webhook_endpoint_stays_reachable(maintenance_setting):
    """The provider's own answer (400 for an unsigned body), never the 503 page."""
    response = Client(enforce_csrf_checks=True).post(
        "/payments/webhooks/dummy/", data=b'{"type": "payment.succeeded"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "verification failed"


def test_health_endpoint_stays_reachable(maintenance_setting, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "failing": [], "maintenance": True}


@pytest.mark.urls(__name__)
def test_static_files_stay_reachable(maintenance_setting, client):
    response = client.get("/static/marketplace_core/marketplace.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
    # ...but not a page that merely looks like it is near them.
    _assert_maintenance_page(client.get("/ping/"))


def test_plugin_hook_can_let_a_request_through(maintenance_setting, client, make_product):
    product = make_product(title="Plugin Guide")
    previous = manager.enabled_plugins()
    with fake_hook_plugin.installed_fake_plugin():
        page = client.get(
            product.get_absolute_url(),
            headers={"X-Fake-Bypass": fake_hook_plugin.BYPASS_VALUE},
        )
        assert page.status_code == 200
        assert "Plugin Guide" in page.content.decode()
        # The plugin abstains for other requests: core still blocks them.
        _assert_maintenance_page(client.get(product.get_absolute_url()))
        _assert_maintenance_page(
            client.get(product.get_absolute_url(), headers={"X-Fake-Bypass": "nope"})
        )
    assert manager.enabled_plugins() == previous
    # Without the plugin the header means nothing.
    _assert_maintenance_page(
        client.get(product.get_absolute_url(),
                   headers={"X-Fake-Bypass": fake_hook_plugin.BYPASS_VALUE})
    )


def test_off_middleware_makes_no_query(rf: RequestFactory, django_assert_num_queries, make_user):
    """Called directly around a query-free view: nothing from the middleware."""
    user = make_user()
    middleware = UnderConstructionMiddleware(_ping)
    request = rf.get("/")
    # Touching the user would load it; the middleware must not.
    request.user = _ExplodingUser(user)  # type: ignore[attr-defined]
    with django_assert_num_queries(0):
        response = middleware(request)
    assert response.content == b"pong"


class _ExplodingUser:
    """Fails the test when anything looks at it (a lazy user costs queries)."""

    def __init__(self, user: object) -> None:
        self._user = user

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"maintenance middleware read request.user.{name} while off")


@pytest.mark.urls(__name__)
def test_off_full_stack_makes_no_query(client, make_user, django_assert_num_queries):
    """A logged-in visitor (session cookie set) to a query-free view: zero queries."""
    client.force_login(make_user())
    with django_assert_num_queries(0):
        response = client.get("/ping/")
    assert response.status_code == 200
    assert response.content == b"pong"


@pytest.mark.urls(__name__)
def test_on_with_runtime_flag_blocks_query_free_view(client):
    call_command("maintenance", "on", stdout=StringIO())
    _assert_maintenance_page(client.get("/ping/"), retry_after="3600")
    call_command("maintenance", "off", stdout=StringIO())
    assert client.get("/ping/").content == b"pong"


def test_maintenance_page_is_not_logged_as_a_server_error(maintenance_setting, client, caplog):
    """Django logs 5xx answers at ERROR (mailed to ADMINS); an expected 503 must not be."""
    with caplog.at_level("INFO", logger="django.request"):
        _assert_maintenance_page(client.get("/products/"))
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.urls(__name__)
def test_unreachable_cache_does_not_take_the_site_down(settings, client, caplog):
    """The maintenance switch is not in the cache: when that is down, pages still
    answer and the health endpoint names the cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    with caplog.at_level("WARNING", logger="marketplace_core.maintenance"):
        assert client.get("/ping/").content == b"pong"
    assert "maintenance" not in caplog.text  # the switch is not in the cache
    health = client.get("/healthz")
    assert health.status_code == 200  # pages work without the cache: degraded, not down
    assert health.json() == {"status": "degraded", "failing": ["cache"], "maintenance": False}

    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    _assert_maintenance_page(client.get("/ping/"), retry_after="3600")


@pytest.mark.urls(__name__)
def test_the_switch_works_while_the_cache_is_down(settings, client):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    call_command("maintenance", "on", stdout=StringIO())
    _assert_maintenance_page(client.get("/ping/"), retry_after="3600")
    call_command("maintenance", "off", stdout=StringIO())
    assert client.get("/ping/").content == b"pong"


def test_switch_written_by_another_process_is_followed_within_the_ttl(client):
    """Another process writes only the database row; this one follows within a second."""
    forget_runtime_flag()  # read the switch on the clock, as a site does
    assert client.get("/products/").status_code == 200  # remembers "off" for a moment
    MaintenanceState.objects.create(pk=MaintenanceState.SINGLETON_PK, enabled=True)
    wait_until(lambda: client.get("/products/").status_code == 503,
               timeout=RUNTIME_FLAG_TTL + 5, what="the maintenance page")
    _assert_maintenance_page(client.get("/products/"), retry_after="3600")
    MaintenanceState.objects.filter(pk=MaintenanceState.SINGLETON_PK).update(enabled=False)
    wait_until(lambda: client.get("/products/").status_code == 200,
               timeout=RUNTIME_FLAG_TTL + 5, what="the catalog again")


def _login_form_and_token(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page
    return page.cookies["csrftoken"].value


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_sign_in_pages_stay_reachable(maintenance_setting, url):
    page = Client().get(url)
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    assert "Retry-After" not in page


def test_staff_signs_in_during_maintenance(maintenance_setting, make_user, make_product):
    """Signing in through the site's own form, CSRF checked, then the site is open to them."""
    product = make_product(title="Staff Sign-in Guide")
    staff = make_user(email="staff@example.com", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    token = _login_form_and_token(client, "/accounts/login/")
    response = client.post("/accounts/login/", {
        "username": staff.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token,
    })
    assert response.status_code == 302
    page = client.get(product.get_absolute_url())
    assert page.status_code == 200
    assert "Staff Sign-in Guide" in page.content.decode()
    assert "Maintenance mode is on" in page.content.decode()


def test_staff_signs_in_to_the_admin_during_maintenance(maintenance_setting, make_user):
    staff = make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    token = _login_form_and_token(client, "/admin/login/")
    response = client.post("/admin/login/?next=/admin/", {
        "username": staff.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token,
        "next": "/admin/",
    })
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_customer_who_signs_in_still_gets_the_maintenance_page(maintenance_setting, make_user):
    customer = make_user(email="customer@example.com")
    client = Client(enforce_csrf_checks=True)
    token = _login_form_and_token(client, "/accounts/login/")
    response = client.post("/accounts/login/", {
        "username": customer.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token,
    })
    assert response.status_code == 302
    _assert_maintenance_page(client.get(response["Location"]))
    _assert_maintenance_page(client.get("/account/products/"))
    # Not staff: the admin's login form refuses them, and the admin stays closed.
    admin = client.post("/admin/login/", {
        "username": customer.email, "password": DEFAULT_PASSWORD,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    })
    assert admin.status_code == 200
    assert "staff account" in admin.content.decode()
    _assert_maintenance_page(client.get("/admin/"))


def test_other_account_pages_stay_closed(maintenance_setting):
    for url in ("/accounts/register/", "/accounts/password-reset/", "/admin/password_change/",
                "/accounts/login/extra/"):
        _assert_maintenance_page(Client().get(url))


def test_command_records_who_when_and_a_message_shown_on_the_page(bypass_secret, client):
    out = StringIO()
    call_command("maintenance", "on", "--by", "ops-alice",
                 "--message", "Back at 18:00 UTC <b>sharp</b>", stdout=out)
    text = out.getvalue()
    assert "Maintenance mode is on." in text
    assert "Switched on by ops-alice at " in text
    assert "Message: Back at 18:00 UTC <b>sharp</b>" in text
    assert "Running processes follow within 1 s." in text

    page = client.get("/products/")
    _assert_maintenance_page(page, retry_after="3600")
    html = page.content.decode()
    assert "Back at 18:00 UTC &lt;b&gt;sharp&lt;/b&gt;" in html  # shown as text, never markup

    status = StringIO()
    call_command("maintenance", "status", stdout=status)
    assert "Maintenance mode is on." in status.getvalue()
    assert "Switched on by ops-alice" in status.getvalue()

    # Off keeps the message for the next time unless told otherwise; '' clears it.
    call_command("maintenance", "off", stdout=StringIO())
    row = MaintenanceState.objects.get()
    assert (row.enabled, row.message) == (False, "Back at 18:00 UTC <b>sharp</b>")
    assert row.changed_by.endswith("(manage.py)")
    call_command("maintenance", "on", "--message", "", stdout=StringIO())
    page = client.get("/products/")
    assert "Back at 18:00" not in page.content.decode()


def test_command_refuses_an_overlong_message():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="longer than 1000 characters"):
        call_command("maintenance", "on", "--message", "x" * 1001, stdout=StringIO())
    assert not MaintenanceState.objects.exists()


def test_admin_switches_maintenance_and_records_who(make_user, make_product):
    product = make_product(title="Admin Switch Guide")
    staff = make_user(email="root@example.com", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    opened = admin.get("/admin/marketplace_core/maintenancestate/")
    assert opened.status_code == 302
    change_url = opened["Location"]
    assert change_url == "/admin/marketplace_core/maintenancestate/1/change/"
    response = admin.post(change_url, {"enabled": "on", "message": "Moving to a new server."})
    assert response.status_code == 302

    row = MaintenanceState.objects.get()
    assert row.enabled
    assert row.changed_by == "root@example.com (admin)"
    assert row.changed_at is not None
    visitor = Client().get(product.get_absolute_url())
    _assert_maintenance_page(visitor, retry_after="3600")
    assert "Moving to a new server." in visitor.content.decode()
    assert admin.get(product.get_absolute_url()).status_code == 200  # staff pass

    admin.post(change_url, {"message": ""})  # unticked: off
    assert Client().get(product.get_absolute_url()).status_code == 200


def test_admin_switch_needs_permission(make_user):
    clerk = make_user(email="clerk@example.com", is_staff=True)  # staff, no permissions
    client = Client()
    client.force_login(clerk)
    assert client.get("/admin/marketplace_core/maintenancestate/").status_code == 403
    assert client.post("/admin/marketplace_core/maintenancestate/1/change/",
                       {"enabled": "on"}).status_code == 403
    assert not MaintenanceState.objects.filter(enabled=True).exists()
