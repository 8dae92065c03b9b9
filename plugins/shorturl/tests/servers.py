"""Real server processes for the multi-process tests: ``runserver`` on the test database.

Each process loads ``tests.settings`` with ``DATABASE_URL`` pointing at the
database the test runner created and ``REDIS_URL`` at the test's redis-server,
so the processes share the database and the cache with the test, like web
processes behind a load balancer.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from marketplace_core.testing.servers import free_port, wait_for_port
from marketplace_core.testing.workers import database_url_for_test_db

PLUGIN_DIR = Path(__file__).resolve().parent.parent


class ServerProcess:
    """``django-admin runserver --noreload`` (threaded) on a free port."""

    def __init__(self, *, redis_url: str, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="mp-shorturl-server-", suffix=".log")[1])
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url_for_test_db(),
            "REDIS_URL": redis_url,
            "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")]),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        with self.log.open("wb") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "django", "runserver", "--noreload", "--skip-checks",
                 f"127.0.0.1:{self.port}"],
                cwd=PLUGIN_DIR, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, process=self.process, what=f"runserver (log: {self.log})")
        return self

    def get(self, path: str) -> tuple[int, str | None]:
        """Status and ``Location`` of ``GET path`` (redirects are not followed)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Host": "shop.example.com"})
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Location")
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)


@contextlib.contextmanager
def running(count: int, *, redis_url: str,
            env: Mapping[str, str] | None = None) -> Iterator[list[ServerProcess]]:
    """``count`` server processes for the duration of a ``with`` block."""
    servers = [ServerProcess(redis_url=redis_url, env=env) for _ in range(count)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
