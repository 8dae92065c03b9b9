"""Maintenance mode switched by ``manage.py`` in one process reaches a running site.

The example site runs in gunicorn with two worker processes on the test
database and local-memory caches (no Redis: the database is all the processes
share); ``manage.py maintenance on`` runs in a process of its own, as an
operator runs it. Every request the site answers afterwards is the 503 page
within the one-second bound (plus slack for a loaded machine), staff can still
sign in on the running site, and ``off`` opens it again.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration.processes import WebServer, example_site_server, manage, site_env
from marketplace_core.maintenance.state import RUNTIME_FLAG_TTL
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

#: Added to the one-second bound: processes wait for a core on a loaded machine (with
#: load averages of 11 to 13 on two cores this test measured 1.3 s and 4.5 s).
SLACK_SECONDS = 9.0
#: The example site without a shared cache (each process its own local memory).
NO_REDIS = {"REDIS_URL": ""}
#: Requests in a row that must all agree: with two worker processes, both answer some.
IN_A_ROW = 12


@pytest.fixture
def site(transactional_db: None) -> Iterator[WebServer]:
    with example_site_server("integration.settings", workers=2, **NO_REDIS) as server:
        yield server


def _get(server: WebServer, path: str,
         opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    """Status and body of ``GET path`` on a new connection (redirects followed)."""
    try:
        with (opener or urllib.request.build_opener()).open(server.url + path,
                                                            timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class _Agreement:
    """Called repeatedly, whether the last :data:`IN_A_ROW` requests all answered
    ``status``; ``since`` is when the first of them was sent (how long the site
    took to follow, to within one request)."""

    def __init__(self, server: WebServer, path: str, status: int) -> None:
        self.server, self.path, self.status = server, path, status
        self.streak = 0
        self.since: float | None = None

    def __call__(self) -> bool:
        sent = time.monotonic()
        if _get(self.server, self.path)[0] != self.status:
            self.streak, self.since = 0, None
            return False
        self.streak += 1
        if self.since is None:
            self.since = sent
        return self.streak >= IN_A_ROW


def _all_answer(server: WebServer, path: str, status: int) -> bool:
    return all(_get(server, path)[0] == status for _ in range(IN_A_ROW))


def _switch(repo_root: Path, *args: str) -> str:
    result = manage(repo_root, "maintenance", *args,
                    env=site_env("integration.settings", **NO_REDIS))
    assert result.returncode == 0, result.stderr
    return result.stdout


def _sign_in(server: WebServer, email: str) -> urllib.request.OpenerDirector:
    """A browser-like session signed in through the site's own login form."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, form = _get(server, "/accounts/login/", opener)
    assert status == 200, form
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert match, form
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1), "username": email,
                                   "password": DEFAULT_PASSWORD}).encode()
    with opener.open(server.url + "/accounts/login/", data=data, timeout=30) as response:
        assert response.status == 200
    return opener


def test_the_command_in_another_process_switches_every_web_process(
    site: WebServer, repo_root: Path, make_product: Any, make_user: Any
) -> None:
    product = make_product(title="Process Guide")
    make_user(email="staff@example.com", is_staff=True)
    wait_until(lambda: _all_answer(site, "/products/", 200), timeout=60,
               what="both web processes serving the catalog")

    out = _switch(repo_root, "on", "--message", "Back at noon.")
    switched = time.monotonic()
    assert "Maintenance mode is on." in out
    closed = _Agreement(site, product.get_absolute_url(), 503)
    wait_until(closed, timeout=RUNTIME_FLAG_TTL + SLACK_SECONDS, what="every answer to be 503")
    assert closed.since is not None
    print(f"on: every answer 503 from {closed.since - switched:.2f}s after the command")
    status, page = _get(site, "/products/")
    assert status == 503
    assert "We'll be back soon" in page and "Back at noon." in page

    # The sign-in pages stay open: staff sign in and see the site.
    assert _get(site, "/admin/login/")[0] == 200
    staff = _sign_in(site, "staff@example.com")
    status, page = _get(site, product.get_absolute_url(), staff)
    assert status == 200
    assert "Process Guide" in page and "Maintenance mode is on" in page
    assert _get(site, product.get_absolute_url())[0] == 503  # everyone else still waits

    _switch(repo_root, "off")
    switched = time.monotonic()
    opened = _Agreement(site, product.get_absolute_url(), 200)
    wait_until(opened, timeout=RUNTIME_FLAG_TTL + SLACK_SECONDS, what="every answer to be 200")
    assert opened.since is not None
    print(f"off: every answer 200 from {opened.since - switched:.2f}s after the command")
