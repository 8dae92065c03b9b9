"""A missing service makes the tests that need it fail, naming what to install:
the test kit never skips (CI must not pass without PostgreSQL, Redis or Chromium)."""

from __future__ import annotations

import pytest

from marketplace_core.testing import servers
from marketplace_core.testing.browser import chromium_path
from marketplace_core.testing.servers import PostgresServer, RedisServer, ServiceUnavailable


@pytest.fixture
def nothing_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MARKETPLACE_CHROMIUM", raising=False)
    # Debian's versioned PostgreSQL folders are looked at too; point that search nowhere.
    monkeypatch.setattr(servers.glob, "glob", lambda pattern: [])


def test_missing_postgresql_fails_naming_the_package(nothing_installed):
    with pytest.raises(ServiceUnavailable, match="apt-get install postgresql"):
        PostgresServer()


def test_missing_redis_fails_naming_the_package(nothing_installed):
    with pytest.raises(ServiceUnavailable, match="apt-get install redis-server"):
        RedisServer()


def test_missing_chromium_fails_naming_the_package(nothing_installed):
    with pytest.raises(ServiceUnavailable, match="apt-get install chromium"):
        chromium_path()


def test_installed_services_are_found():
    """The same lookups succeed on a machine prepared by .ci/run."""
    assert servers.find_binary("initdb", extra_globs=("/usr/lib/postgresql/*/bin/initdb",))
    assert servers.find_binary("redis-server")
    assert chromium_path()
