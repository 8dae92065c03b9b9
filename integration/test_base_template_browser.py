"""A shop page inside the project's own base template (``MARKETPLACE["BASE_TEMPLATE"]``)
in a real browser: the one wiring include is enough for htmx, core's script and the
CSRF token of every HTMX request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from integration.browser_checks import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

HTMX_POST = """() => new Promise((resolve) => {
  document.body.addEventListener("htmx:afterRequest", (event) => resolve({
    status: event.detail.xhr.status,
    token: event.detail.requestConfig.headers["X-CSRFToken"] || null,
  }), {once: true});
  htmx.ajax("POST", "/accounts/logout/", {target: "body", swap: "none"});
})"""


@pytest.fixture
def project_base(settings: Any) -> None:
    # Core's test project base template (tests/templates/project/base.html).
    templates = Path(__file__).resolve().parent.parent / "tests" / "templates"
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]
    settings.MARKETPLACE = {**settings.MARKETPLACE, "BASE_TEMPLATE": "project/base.html"}


@pytest.mark.usefixtures("project_base")
def test_an_htmx_post_from_a_page_in_the_project_base_passes_csrf(page, live_server, make_user,
                                                                  make_product) -> None:
    product = make_product(title="Field Guide")
    log_in(page, live_server, make_user())
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    assert page.get_by_text("The Project's own header").is_visible()
    assert page.locator(".site-header").count() == 0

    answer = page.evaluate(HTMX_POST)

    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert answer == {"status": 200, "token": token}  # 403 without the header
    page.reload()
    assert page.locator('[data-action="login"]').is_visible()  # the POST logged us out
    assert page.console_errors == []
