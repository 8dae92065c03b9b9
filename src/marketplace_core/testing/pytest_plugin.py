"""pytest plugin of marketplace-core (registered through the ``pytest11`` entry point).

- ``--marketplace-db=sqlite|postgres`` (or ``MARKETPLACE_TEST_DB``): with
  ``postgres`` a throw-away PostgreSQL server is started before Django reads
  its settings, and ``DATABASE_URL`` points at it. Test settings must read
  ``DATABASE_URL`` (``dj_database_url.config()``).
- ``MARKETPLACE_TEST_RUN_DIR`` is set to a fresh folder for the run, shared
  with subprocesses (servers, Celery workers) the tests start.
- Fixtures: ``redis_server``, ``marketplace_db_vendor``, and the factories.
- Markers (registered here, so core's and every plugin's suite share them):
  ``by_database`` for tests whose behaviour differs by database, ``smoke`` for
  a handful of end-to-end flows, ``postgres_only`` (deselected on SQLite) and
  ``browser``. The PostgreSQL environments run ``-m "by_database or smoke or
  postgres_only"``; everything runs on SQLite.

Nothing here imports Django models at import time.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from marketplace_core.testing.servers import PostgresServer, RedisServer

_DB_CHOICES = ("sqlite", "postgres")

#: The markers of the test kit, for ``--strict-markers`` in any suite using it.
MARKERS = {
    "by_database": "behaves differently by database (locking, concurrency, constraints, "
                   "full-text search, date functions, migrations, JSON, raw SQL, "
                   "transactions and on_commit, ordering and collation, query counts): "
                   "run on PostgreSQL as well as SQLite",
    "smoke": "an end-to-end flow (buy, webhook, download, panels) run on every database",
    "postgres_only": "needs PostgreSQL: deselected when the run uses SQLite",
    "browser": "drives headless Chromium through Playwright",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("marketplace")
    group.addoption(
        "--marketplace-db",
        choices=_DB_CHOICES,
        default=os.environ.get("MARKETPLACE_TEST_DB", "sqlite"),
        help="Database for Django tests: sqlite (default) or postgres (started by the run).",
    )
    group.addoption(
        "--marketplace-redis",
        action="store_true",
        default=False,
        help="Start redis-server before settings load and set REDIS_URL (cache and broker).",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    os.environ.setdefault("MARKETPLACE_TEST_RUN_DIR", tempfile.mkdtemp(prefix="mp-run-"))
    vendor = getattr(early_config.known_args_namespace, "marketplace_db", "sqlite")
    if vendor == "postgres" and "DATABASE_URL" not in os.environ:
        server = PostgresServer().start()
        early_config.stash[_pg_key] = server
        os.environ["DATABASE_URL"] = server.url
        os.environ["MARKETPLACE_TEST_DB"] = "postgres"
    if getattr(early_config.known_args_namespace, "marketplace_redis", False):
        redis = RedisServer().start()
        early_config.stash[_redis_key] = redis
        os.environ["REDIS_URL"] = redis.url


_pg_key = pytest.StashKey[PostgresServer]()
_redis_key = pytest.StashKey[RedisServer]()


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_pg_key, None)
    if server is not None:
        server.stop()
        os.environ.pop("DATABASE_URL", None)
    redis = config.stash.get(_redis_key, None)
    if redis is not None:
        redis.stop()
        os.environ.pop("REDIS_URL", None)


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect ``postgres_only`` tests on SQLite (reported as deselected, not skipped)."""
    if config.getoption("marketplace_db") == "postgres":
        return
    keep = [item for item in items if item.get_closest_marker("postgres_only") is None]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str:
    return f"marketplace: database={config.getoption('marketplace_db')}"


@pytest.fixture(scope="session")
def marketplace_db_vendor() -> str:
    """``"postgresql"`` or ``"sqlite"``: the database the tests run on."""
    from django.db import connection

    return str(connection.vendor)


@pytest.fixture(scope="session")
def redis_server(pytestconfig: pytest.Config) -> Iterator[RedisServer]:
    """A real ``redis-server`` for the whole session (fails if it cannot start).

    With ``--marketplace-redis`` it is the server the settings already use.
    """
    started = pytestconfig.stash.get(_redis_key, None)
    if started is not None:
        yield started
        return
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_user() -> Callable[..., Any]:
    from marketplace_core.testing import factories

    return factories.make_user


@pytest.fixture
def make_seller() -> Callable[..., Any]:
    from marketplace_core.testing import factories

    return factories.make_seller


@pytest.fixture
def make_product() -> Callable[..., Any]:
    from marketplace_core.testing import factories

    return factories.make_product


@pytest.fixture
def make_category() -> Callable[..., Any]:
    from marketplace_core.testing import factories

    return factories.make_category


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item (the ``page`` fixture screenshots failures)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def still_clock() -> Iterator[Any]:
    """The wall clock stopped at the test's start (``time_machine``, ``tick=False``).

    Rate limits count in fixed windows (a minute, an hour): a test that makes
    N requests and expects the next one refused fails when a loaded machine
    runs them across a window's end. With the clock still they share one
    window; ``still_clock.shift(seconds)`` moves on (to see a limit lift).
    """
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        yield clock


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless system Chromium via Playwright (see :mod:`.browser`)."""
    from marketplace_core.testing.browser import launch_browser

    yield from launch_browser()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page in a fresh context; screenshot kept on failure."""
    from marketplace_core.testing.browser import open_page

    yield from open_page(browser, request.node)


@pytest.fixture(autouse=True)
def _marketplace_fresh_maintenance_flag() -> Iterator[None]:
    """Each test starts with the maintenance switch off and held in this process.

    Processes read the switch from the database once a second; held, it is read
    only after the test itself switches it (``manage.py maintenance``,
    ``set_runtime_flag``), so a query count never depends on the clock. A test
    of the timed read calls ``forget_runtime_flag()`` first.
    """
    from django.conf import settings

    if not settings.configured:
        yield
        return
    import math

    from marketplace_core.maintenance.state import OFF, forget_runtime_flag, remember

    remember(OFF, math.inf)
    yield
    forget_runtime_flag()


@pytest.fixture(autouse=True)
def _marketplace_fresh_catalog_version() -> None:
    """Each test starts under a new catalog version: pages another test cached
    (its rows rolled back without a commit, so without a bump) are not served."""
    from django.apps import apps

    if not apps.ready:
        return
    from marketplace_core.catalog.versions import bump_catalog_version

    bump_catalog_version()


@pytest.fixture(autouse=True)
def _marketplace_outside_any_task() -> None:
    """Each test starts outside any Celery task, as far as Celery can tell.

    An eager ``apply_async`` marks the whole process as inside a task around
    the call (``denied_join_result``: a process-wide flag, saved before and
    restored after). Two threads running eager tasks at once (the concurrency
    tests, a live server's request threads) can interleave so that the flag is
    restored to "inside" and stays set; every later ``result.get()`` in that
    process then raises "Never call result.get() within a task!", in whichever
    test comes next. Seen under load (``stress-ng --cpu 2``) in core's suite.
    """
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)
