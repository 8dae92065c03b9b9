"""The example site in processes of its own, for the integration tests.

``example_site_worker`` starts the example site's Celery worker under a given
settings module (Redis broker, the test database). Fixtures use it in
``integration/conftest.py``, ``integration/mailbox.py`` and the conftests of the
sub-suites (``integration/dodo``, ``integration/telegram``), which run in pytests
of their own but still import this module.

``example_site_server`` serves the example site from gunicorn worker processes
on the test database, the way a deployment does.
``web_server`` runs any web server command on a free port (``test_integrating``
serves an integrator's project with it).

``clean_env``, ``manage`` and ``run_sub_suite`` run ``manage.py`` and the
sub-suites' own pytests from an environment without the test process's site
configuration.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketplace_core.testing.servers import free_port, wait_for_port
from marketplace_core.testing.workers import CeleryWorker, database_url_for_test_db

ROOT = Path(__file__).resolve().parent.parent


def site_env(settings_module: str, **env: str) -> dict[str, str]:
    """What a process of the example site needs to run ``settings_module`` on the
    test database (and whatever else ``env`` says)."""
    return {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url_for_test_db(),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        **env,
    }


@contextmanager
def example_site_worker(settings_module: str, *, pool: str = "threads", concurrency: int = 2,
                        **env: str) -> Iterator[CeleryWorker]:
    """A real Celery worker of the example site with ``DJANGO_SETTINGS_MODULE`` set to
    ``settings_module`` and ``env`` added to its environment, on the test database;
    stopped on leaving the block. Use it from fixtures that depend on
    ``transactional_db`` and ``live_server``, so that the worker sees committed data.
    ``pool="prefork"`` runs tasks in child processes, as deployments do."""
    worker = CeleryWorker("example_site", env=site_env(settings_module, **env), cwd=ROOT,
                          pool=pool, concurrency=concurrency).start()
    try:
        yield worker
    finally:
        worker.stop()


@dataclass(frozen=True)
class WebServer:
    """A running web server: its address, its process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def example_site_server(settings_module: str, *, workers: int = 2,
                        **env: str) -> Iterator[WebServer]:
    """gunicorn serving the example site with ``workers`` worker processes on the test
    database (``settings_module``, ``env`` as for :func:`example_site_worker`); stopped on
    leaving the block. Needs committed data (``transactional_db``)."""
    with web_server(
        lambda port: [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                      f"127.0.0.1:{port}", "--graceful-timeout", "10",
                      "example_site.wsgi:application"],
        env={**os.environ, **site_env(settings_module, **env)}, cwd=ROOT / "example_site",
        what="gunicorn",
    ) as server:
        yield server


@contextmanager
def web_server(command: Callable[[int], list[str]], *, env: dict[str, str], cwd: Path,
               what: str) -> Iterator[WebServer]:
    """The web server ``command(port)`` starts, on a free port of 127.0.0.1, with
    ``env`` as its whole environment and its output in a log file; terminated (killed
    after 20 s) on leaving the block."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="mp-web-", suffix=".log")[1])
    with log.open("wb") as handle:
        process = subprocess.Popen(command(port), env=env, cwd=cwd, stdout=handle,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process=process, timeout=60, what=f"{what} (log: {log})")
        yield WebServer(f"http://127.0.0.1:{port}", process, log)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        if process.poll() is None:
            process.kill()
            process.wait(10)


#: Environment variables that configure the example site or its services; a child
#: process gets none of the test process's own (see :func:`clean_env`).
ISOLATED = ("DJANGO_", "MARKETPLACE_", "DODO_", "S3_", "TELEGRAM_", "DATABASE_URL", "REDIS_URL")


def clean_env() -> dict[str, str]:
    """This process's environment without the variables that configure the site."""
    return {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED)}


def manage(repo_root: Path, *args: str, env: dict[str, str]
           ) -> subprocess.CompletedProcess[str]:
    """``example_site/manage.py *args`` with :func:`clean_env` plus ``env``."""
    return subprocess.run(
        [sys.executable, str(repo_root / "example_site" / "manage.py"), *args],
        env={**clean_env(), **env}, capture_output=True, text=True, check=False,
    )


@dataclass(frozen=True)
class SubSuiteResult:
    """What a sub-suite's pytest reported: its JUnit counts (``tests``, ``failures``,
    ``errors``, ``skipped``), its exit status and the end of its output."""

    counts: dict[str, int]
    returncode: int
    output: str


def run_sub_suite(repo_root: Path, pytestconfig: pytest.Config, folder: str,
                  settings_module: str, report: Path, *, timeout: float = 280
                  ) -> SubSuiteResult:
    """Run the tests in ``folder`` in a pytest of their own, with ``settings_module``,
    the same database vendor and services as this run, and a JUnit report at ``report``.

    The child starts its own database and services from :func:`clean_env`. Fails
    here when the child wrote no report; the caller asserts the counts and the
    exit status."""
    args = [sys.executable, "-m", "pytest", folder, "-p", "no:cacheprovider",
            f"--ds={settings_module}",
            f"--marketplace-db={pytestconfig.getoption('marketplace_db')}",
            f"--junitxml={report}", "-q"]
    if pytestconfig.getoption("marketplace_redis"):
        args.append("--marketplace-redis")
    env = {k: v for k, v in clean_env().items() if k != "PYTEST_ADDOPTS"}

    result = subprocess.run(args, cwd=repo_root, env=env, capture_output=True,
                            text=True, check=False, timeout=timeout)

    output = (result.stdout + result.stderr)[-6000:]
    assert report.exists(), output
    suite = ET.parse(report).getroot().find("testsuite")  # noqa: S314 - pytest's own report
    assert suite is not None, output
    counts = {name: int(suite.get(name, "0")) for name in ("tests", "failures", "errors",
                                                           "skipped")}
    return SubSuiteResult(counts=counts, returncode=result.returncode, output=output)
