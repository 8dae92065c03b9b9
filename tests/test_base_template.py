"""``MARKETPLACE["BASE_TEMPLATE"]``: every shop page extends the project's base
template, which needs only the blocks title, head and content and
``marketplace_core/includes/wiring.html`` in its ``<head>``. (The same HTMX
request from a real browser: ``integration/test_base_template_browser.py``.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.template import Context, Template
from django.test import Client

from marketplace_core.maintenance.state import set_runtime_flag
from marketplace_core.testing.factories import make_user

pytestmark = pytest.mark.django_db

PROJECT_HEADER = "The Project's own header"
WIRING = '<meta name="csrf-token" content="'


@pytest.fixture
def project_base(settings: Any) -> None:
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [Path(__file__).parent / "templates"]}]
    settings.MARKETPLACE = {**settings.MARKETPLACE, "BASE_TEMPLATE": "project/base.html"}


def _head(html: str) -> str:
    return html.split("<body")[0]


def htmx_script_tag() -> str:
    """What django-htmx's ``{% htmx_script %}`` writes (its file name differs by version)."""
    html = Template("{% load django_htmx %}{% htmx_script %}").render(Context())
    tag = re.search(r'<script src="[^"]*django_htmx/htmx[^"]*"', html)
    assert tag, html
    return tag[0]


def test_core_layout_by_default(client: Client, make_product) -> None:
    html = client.get(make_product(title="Field Guide").get_absolute_url()).content.decode()
    assert 'class="site-header"' in html and PROJECT_HEADER not in html
    assert WIRING in _head(html)
    assert htmx_script_tag() in _head(html)
    assert "hx-headers" not in html  # the token comes from <head>, read by core's script


@pytest.mark.usefixtures("project_base")
def test_a_product_page_renders_inside_the_project_base(client: Client, make_product) -> None:
    html = client.get(make_product(title="Field Guide").get_absolute_url()).content.decode()
    assert PROJECT_HEADER in html and "The Project's own footer" in html
    assert 'class="site-header"' not in html  # core's layout is not used
    assert re.search(r"<title>Field Guide[^<]*\| The Project</title>", html)
    head = _head(html)
    assert WIRING in head
    assert "/static/marketplace_core/marketplace.css" in head
    assert "/static/marketplace_core/marketplace.js" in head
    assert htmx_script_tag() in head
    content = html.split('<div class="project-content">')[1]
    assert "Field Guide" in content


@pytest.mark.usefixtures("project_base")
def test_panel_and_account_pages_use_it_too(client: Client, make_seller) -> None:
    for url in ["/accounts/login/", "/accounts/register/", "/products/"]:
        assert PROJECT_HEADER in client.get(url).content.decode(), url
    client.force_login(make_seller())
    for url in ["/seller/", "/seller/products/new/", "/seller/categories/", "/account/products/"]:
        assert PROJECT_HEADER in client.get(url).content.decode(), url


@pytest.mark.usefixtures("project_base")
def test_notices_appear_inside_the_project_content(client: Client, make_product) -> None:
    staff = make_user(email="staff@example.com", is_staff=True, email_verified=False)
    client.force_login(staff)
    set_runtime_flag(True)
    html = client.get(make_product().get_absolute_url()).content.decode()
    content = html.split('<div class="project-content">')[1]
    assert "Maintenance mode is on" in content
    assert "Please confirm your email address, staff@example.com" in content


@pytest.mark.usefixtures("project_base")
def test_messages_appear_inside_the_project_content(client: Client, make_seller) -> None:
    client.force_login(make_seller())
    response = client.post("/seller/categories/new/", {"name": "Icons"}, follow=True)
    content = response.content.decode().split('<div class="project-content">')[1]
    assert '<div role="status"><ul class="messages">' in content


@pytest.mark.usefixtures("project_base")
def test_an_htmx_post_passes_csrf_with_the_token_from_the_head(make_user) -> None:
    """What core's script does for every HTMX request: the page's <meta> token as
    ``X-CSRFToken``. Without it the same POST is refused."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    page = client.get("/account/products/").content.decode()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', _head(page)).group(1)
    assert client.post("/accounts/logout/", headers={"HX-Request": "true"}).status_code == 403
    answer = client.post("/accounts/logout/",
                         headers={"HX-Request": "true", "X-CSRFToken": token})
    assert answer.status_code == 302
    assert "_auth_user_id" not in client.session


def test_e013_a_base_template_that_does_not_exist(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "BASE_TEMPLATE": "project/missing.html"}
    [error] = [m for m in run_checks() if m.id == "marketplace_core.E013"]
    assert isinstance(error, Error)
    assert "'project/missing.html', which does not exist" in error.msg
    assert "marketplace_core/includes/wiring.html" in error.hint


@pytest.mark.usefixtures("project_base")
def test_e013_absent_for_a_template_that_loads() -> None:
    assert [m for m in run_checks() if m.id == "marketplace_core.E013"] == []
