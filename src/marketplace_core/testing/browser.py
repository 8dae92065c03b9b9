"""Headless Chromium through Playwright, for tests of pages with HTMX.

Uses the system's Chromium (Debian package ``chromium``, ``/usr/bin/chromium``
by default, or ``MARKETPLACE_CHROMIUM``); it never downloads a browser. A
failing test's last page is saved as a screenshot under ``test-artifacts/``
(or ``MARKETPLACE_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marketplace_core.testing.servers import ServiceUnavailable

CHROMIUM_FLAGS = [
    "--no-sandbox",  # needed as root; the tests only open local pages
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = os.environ.get("MARKETPLACE_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser"
    )
    if not path:
        raise ServiceUnavailable(
            "Chromium not found. Install Debian's chromium (apt-get install chromium) or set "
            "MARKETPLACE_CHROMIUM."
        )
    return path


def launch_browser() -> Iterator[Any]:
    """Yield a headless Chromium (a Playwright ``Browser``) and close it afterwards."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django ORM
    # calls the test makes around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary profile directory.
        instance = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield instance
        finally:
            instance.close()


def open_page(browser: Any, node: pytest.Item) -> Iterator[Any]:
    """Yield a page in a fresh context; console errors are collected on
    ``page.console_errors`` and a screenshot is kept when ``node`` failed."""
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.set_default_timeout(15_000)
    yield page
    report = getattr(node, "rep_call", None)
    if report is not None and report.failed:
        folder = Path(os.environ.get("MARKETPLACE_TEST_ARTIFACTS", "test-artifacts"))
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.nodeid)[-150:]
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    context.close()
