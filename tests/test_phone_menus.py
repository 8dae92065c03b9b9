"""The menus a phone gets are plain HTML: the header's links and a panel's sidebar sit in
a ``<details>`` whose ``<summary>`` is the toggle, so they open without JavaScript (the
CSS that folds them at 48rem, and a browser opening them with JavaScript off:
``integration/test_phone_menus_browser.py``)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from marketplace_core.testing.factories import logged_in, make_seller

pytestmark = pytest.mark.django_db


class Menus(HTMLParser):
    """Each ``<details>`` of the page by class: its summary's text and the aria-labels of
    the ``<nav>`` elements inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.menus: dict[str, dict[str, list[str]]] = {}
        self._open: list[tuple[str, str]] = []  # (tag, details class) of open elements
        self._in_summary = False

    def _current(self) -> str | None:
        return next((cls for tag, cls in reversed(self._open) if tag == "details"), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "details":
            self._open.append((tag, found.get("class") or ""))
            self.menus[found.get("class") or ""] = {"summary": [], "navs": []}
        elif tag == "summary":
            self._in_summary = True
        elif tag == "nav" and (menu := self._current()) is not None:
            self.menus[menu]["navs"].append(found.get("aria-label") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self._open:
            self._open.pop()
        elif tag == "summary":
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        if self._in_summary and (menu := self._current()) is not None and data.strip():
            self.menus[menu]["summary"].append(data.strip())


def menus_of(html: str) -> dict[str, dict[str, list[str]]]:
    parser = Menus()
    parser.feed(html)
    return parser.menus


def test_the_header_links_are_in_a_details_menu(client) -> None:
    menus = menus_of(client.get("/").content.decode())

    assert menus["site-menu"] == {"summary": ["Menu"], "navs": ["Main", "Account"]}


def test_a_panel_sidebar_is_a_details_menu_naming_the_current_page() -> None:
    html = logged_in(make_seller()).get("/seller/sales/").content.decode()

    menus = menus_of(html)
    assert menus["panel-menu"] == {"summary": ["Seller panel", ": Sales"],
                                   "navs": ["Seller panel"]}
    assert menus["site-menu"]["navs"] == ["Main", "Account"]
