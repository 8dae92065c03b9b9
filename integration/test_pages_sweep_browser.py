"""Every page of the site, as each role sees it, at a phone's width (390 px) and a
desktop's (1280 px) in Chromium: the page loads, nothing makes it wider than the
screen (``document.documentElement.scrollWidth``), and axe-core finds no serious or
critical accessibility violation. A full-page screenshot of each is saved under
``test-artifacts/screens/<role>-<page>-<width>.png`` for a reviewer to look at.

The pages are listed in :mod:`integration.sweep_pages`. One test per role: one
browser context per role and width, the pages in a loop; a failure lists every
page that failed and why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from integration.browser_checks import log_in, unlabelled_inputs
from integration.page_checks import axe_core_script, axe_violations, overflow
from integration.sweep_pages import PAGES, seed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS = (390, 1280)
SCREENS = Path(os.environ.get("MARKETPLACE_TEST_ARTIFACTS", "test-artifacts")) / "screens"


def problems_on(page: Any, url: str, width: int, status: int = 200) -> list[str]:
    """What is wrong with the page at ``url``, which should answer ``status`` (empty: nothing)."""
    try:
        response = page.goto(url)
    except PlaywrightError as exc:  # a 405 or a refused connection, say
        return [str(exc).splitlines()[0]]
    if response is None or response.status != status:
        return [f"HTTP {response.status if response else 'no response'}, not {status}"]
    if urlsplit(page.url).path != urlsplit(url).path:  # a login page instead, say
        return [f"redirected to {page.url}"]
    found = []
    size = overflow(page)
    if size.scroll_width > width:
        found.append(f"{size.scroll_width} px wide (overflow from {', '.join(size.wide)})")
    found += [f"axe {violation}" for violation in axe_violations(page)]
    found += [f"unlabelled field {field}" for field in unlabelled_inputs(page)]
    return found


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_fits_a_phone_and_passes_axe(role: str, live_server: Any,
                                                browser: Any) -> None:
    axe_core_script()  # fails at once, naming the fetch command, when it is missing
    data = seed()
    user = data["users"].get(role)
    SCREENS.mkdir(parents=True, exist_ok=True)
    failures = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        try:
            if user is not None:
                log_in(page, live_server, user)
            for name, template, *status in PAGES[role]:
                errors.clear()
                path = template.format(**data)
                found = problems_on(page, f"{live_server.url}{path}", width, *status)
                found += [f"JavaScript error {error}" for error in errors]
                page.screenshot(path=str(SCREENS / f"{role}-{name}-{width}.png"), full_page=True)
                failures += [f"{role} {name} ({path}) at {width} px: {problem}"
                             for problem in found]
        finally:
            context.close()
    assert not failures, "\n".join(failures)
