"""Core's branded error pages (400, 403, 404, 405, 500), the maintenance page, the
logout confirmation and the site name on the login page: each in the site's layout,
with its status and a way back home."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace_core.maintenance.state import set_runtime_flag
from tests.account_support import fresh_limits
from tests.panels_support import logged_in, text_of
from tests.test_base_template import PROJECT_HEADER

pytestmark = pytest.mark.django_db
__all__ = ["fresh_limits"]


@pytest.fixture(params=["tests.error_urls", "tests.error_urls_with_handlers"],
                ids=["django-handlers", "core-handlers"])
def failing_urls(request, settings):
    """Django's own handlers, and core's handler400/handler500 (the site name in the layout)."""
    settings.ROOT_URLCONF = request.param
    settings.DEBUG = False
    return request.param


def branded(response, *, brand: bool = True) -> str:
    """The page's text, after checking it is the site's page with the way home."""
    html = response.content.decode()
    assert '<header class="site-header">' in html
    if brand:
        assert re.search(r'<a class="brand" href="/">Marketplace</a>', html)
    assert re.search(r'<a class="button" href="/" data-testid="home-link">', html)
    return text_of(html)


@pytest.mark.parametrize(("url", "status", "heading"), [
    ("/fail/400/", 400, "Bad request"),
    ("/fail/403/", 403, "Access denied"),
    ("/no-such-page/", 404, "Page not found"),
    ("/fail/405/", 405, "Not possible this way"),
    ("/fail/500/", 500, "Something went wrong"),
])
def test_each_error_page_is_branded_with_its_status(failing_urls, url, status, heading):
    client = Client(raise_request_exception=False)
    response = client.get(url)
    assert response.status_code == status
    # Django renders 400 and 500 without any context: the layout's brand needs core's handlers.
    text = branded(response, brand=failing_urls.endswith("handlers") or status not in (400, 500))
    assert f"{status} {heading}" in text
    assert f"<title>{heading} · Marketplace</title>" in response.content.decode()


def test_the_403_page_does_not_show_the_reason(failing_urls):
    response = Client(raise_request_exception=False).get("/fail/403/")
    assert "secret reason" not in response.content.decode()


def test_the_500_page_renders_without_the_database(failing_urls):
    client = Client(raise_request_exception=False)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/fail/500/")
    assert response.status_code == 500
    assert "Something went wrong" in branded(response, brand=failing_urls.endswith("handlers"))
    assert len(queries) == 0


def test_a_405_keeps_its_allow_header_and_a_body_of_its_own_stays(failing_urls):
    response = Client().get("/fail/405/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "does not answer a GET request" in branded(response)
    # HEAD gets no body, as HTTP says.
    assert Client().head("/fail/405/").content == b""


def test_the_404_page_in_the_layout_shows_the_visitors_account_links(failing_urls,
                                                                     make_seller):
    client = logged_in(make_seller(name="Sam Seller"))
    text = branded(client.get("/no-such-page/"))
    assert "Seller dashboard" in text and "Sam Log out" in text


def test_the_maintenance_page_is_in_the_layout_with_a_way_back(settings):
    set_runtime_flag(True, message="Back at noon.")
    response = Client().get("/")
    assert response.status_code == 503
    html = response.content.decode()
    assert '<header class="site-header">' in html
    text = text_of(html)
    assert "503 We'll be back soon" in text and "Back at noon." in text
    assert re.search(r'<a class="button" href="/" data-testid="home-link">Try again</a>', html)


def test_logout_by_get_asks_and_post_logs_out(make_user):
    user = make_user(email="ann@example.com")
    client = logged_in(user)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Log out?" in text_of(html)
    form = re.search(r'<form method="post" action="/accounts/logout/" class="form-actions" '
                     r'data-testid="logout-form">(.*?)</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)
    assert '<button type="submit">Log out</button>' in form.group(1)
    # Asking logged no one out.
    assert "_auth_user_id" in client.session

    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_logout_by_get_when_logged_out_says_so():
    page = Client().get("/accounts/logout/")
    assert page.status_code == 200
    assert "You are logged out" in text_of(page.content.decode())


def test_logout_post_needs_the_csrf_token(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert "_auth_user_id" in client.session


def test_the_login_page_names_the_configured_site(settings, client):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_NAME": "Acme Downloads"}
    html = client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8101").content.decode()
    assert "<title>Log in · Acme Downloads</title>" in html
    assert "127.0.0.1:8101" not in html


@pytest.mark.parametrize(("url", "status"), [("/no-such-page/", 404), ("/fail/500/", 500)])
def test_error_pages_use_the_projects_base_template(settings, url, status):
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [Path(__file__).parent / "templates"]}]
    settings.MARKETPLACE = {**settings.MARKETPLACE, "BASE_TEMPLATE": "project/base.html"}
    settings.ROOT_URLCONF = "tests.error_urls_with_handlers"
    settings.DEBUG = False

    response = Client(raise_request_exception=False).get(url)

    assert response.status_code == status
    html = response.content.decode()
    assert PROJECT_HEADER in html and 'class="site-header"' not in html
    assert 'data-testid="home-link"' in html


@pytest.mark.usefixtures("fresh_limits")
def test_account_emails_name_the_configured_site(settings, client, mailoutbox,
                                                 django_capture_on_commit_callbacks, make_user):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_NAME": "Acme Downloads"}
    make_user(email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/register/", {"email": "new@example.com", "name": "New",
                                            "password1": "a-long-unusual-passphrase-93",
                                            "password2": "a-long-unusual-passphrase-93"},
                    HTTP_HOST="127.0.0.1:8101")
        client.post("/accounts/password-reset/", {"email": "ann@example.com"},
                    HTTP_HOST="127.0.0.1:8101")
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        assert "Acme Downloads" in mail.subject + mail.body
        assert "127.0.0.1:8101" not in mail.subject
