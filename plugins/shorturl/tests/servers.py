"""Real server processes for the multi-process tests, on the test database.

``runserver`` (:class:`ServerProcess`) and the production servers gunicorn and
granian with one worker process (:class:`WorkerServer`). Each process loads
``tests.settings`` with ``DATABASE_URL`` pointing at the database the test
runner created and ``REDIS_URL`` at the test's redis-server, so the processes
share the database and the cache with the test, like web processes behind a
load balancer.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from marketplace_core.testing.servers import ServiceUnavailable, free_port, wait_for_port
from marketplace_core.testing.workers import database_url_for_test_db

PLUGIN_DIR = Path(__file__).resolve().parent.parent
#: Seconds a server may take to start or to answer one request. Generous: on a loaded
#: machine (the suite must pass under ``stress-ng --cpu 2``) a Python process can take
#: tens of seconds to import Django, and the first request of a fresh worker waits for it.
PATIENCE = 120.0


def server_environment(redis_url: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a server process sharing this test's database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_for_test_db(),
        "REDIS_URL": redis_url,
        "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")]),
        **(env or {}),
    }


class ServerProcess:
    """``django-admin runserver --noreload`` (threaded) on a free port."""

    def __init__(self, *, redis_url: str, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="mp-shorturl-server-", suffix=".log")[1])
        self.env = server_environment(redis_url, env)
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "django", "runserver", "--noreload", "--skip-checks",
                f"127.0.0.1:{self.port}"]

    def start(self) -> ServerProcess:
        with self.log.open("wb") as handle:
            self.process = subprocess.Popen(
                self.command(), cwd=PLUGIN_DIR, env=self.env, stdout=handle,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout=PATIENCE, process=self.process,
                      what=f"server (log: {self.log})")
        return self

    def get(self, path: str) -> tuple[int, str | None]:
        """Status and ``Location`` of ``GET path`` (redirects are not followed)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PATIENCE)
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


class WorkerServer(ServerProcess):
    """gunicorn or granian serving ``tests.wsgi`` with one worker process.

    The process started is the server's master; :meth:`worker_pid` is its one
    worker, the process that serves requests (and counts clicks).
    """

    def __init__(self, server: str, *, redis_url: str,
                 env: Mapping[str, str] | None = None) -> None:
        if server not in ("gunicorn", "granian"):
            raise ValueError(f"unknown server {server!r}")
        super().__init__(redis_url=redis_url, env=env)
        self.server = server

    def command(self) -> list[str]:
        if self.server == "gunicorn":
            # --timeout: the master must not kill a worker that is slow to boot under load.
            return [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                    f"127.0.0.1:{self.port}", "--graceful-timeout", "20",
                    "--timeout", str(int(PATIENCE)), "tests.wsgi:application"]
        return [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "1",
                "--host", "127.0.0.1", "--port", str(self.port), "--workers-kill-timeout", "20",
                "tests.wsgi:application"]

    def worker_pid(self, timeout: float = PATIENCE) -> int:
        """The pid of the one worker (the master's only child process)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            children = _children(self.process.pid)
            if len(children) == 1:
                return children[0]
            time.sleep(0.1)
        raise ServiceUnavailable(f"{self.server}: no single worker process (log: {self.log})")


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (Linux ``/proc``)."""
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            pids += [int(p) for p in (task / "children").read_text().split()]
    return [p for p in pids if is_running(p)]


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and has not exited (a zombie has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


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
