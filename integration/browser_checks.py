"""Accessibility basics and page helpers shared by the browser tests."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.test import Client

UNLABELLED_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)
"""

FOCUSED_JS = """
() => { const el = document.activeElement;
        return el ? (el.getAttribute('name') || el.id || el.textContent.trim()) : null; }
"""


def unlabelled_inputs(page: Any) -> list[str]:
    """Form fields on the page that have no label (empty when all are labelled)."""
    return list(page.evaluate(UNLABELLED_JS))


def field(page: Any, label: str) -> Any:
    """The input labelled exactly ``label`` (Django's labels end with a colon)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def tab_to(page: Any, target: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element's name, id or text is ``target``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_JS) == target:
            return
    raise AssertionError(f"{target!r} is not reachable with the Tab key")


def mark_document(page: Any) -> None:
    """Tag the current document; :func:`same_document` tells whether it survived."""
    page.evaluate("window.__marketplaceSameDocument = true")


def same_document(page: Any) -> bool:
    return page.evaluate("window.__marketplaceSameDocument === true") is True


def log_in(page: Any, live_server: Any, user: Any) -> None:
    """Give the browser a session of ``user`` (the login page is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])


def another_person(browser: Any, live_server: Any, user: Any) -> Any:
    """A page in a browser context of its own (a second person beside the ``page``
    fixture's), logged in as ``user``, collecting errors on ``page.console_errors``
    like that fixture. Close it with ``page.context.close()``."""
    page = browser.new_context().new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    log_in(page, live_server, user)
    return page
