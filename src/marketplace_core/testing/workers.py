"""A real Celery worker process for integration tests.

The worker runs the site's Celery app against the same broker and the same
*test* database as the test process, so tasks it runs see committed test data
(use ``transactional_db`` / ``live_server`` tests).

With ``pool="prefork"`` tasks run in child processes of the worker
(:meth:`CeleryWorker.pool_pids`); :func:`pid_with_connection_from` finds the one
talking to a given server, for tests that kill a worker mid-task.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from marketplace_core.testing.servers import ServiceUnavailable


def database_url_for_test_db() -> str:
    """A ``DATABASE_URL`` naming the database Django's test runner created."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    if connection.vendor != "postgresql":
        raise ServiceUnavailable(f"No worker URL for database vendor {connection.vendor}")
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class CeleryWorker:
    """``celery -A <app> worker`` in a subprocess; ``start()`` waits until it is ready."""

    def __init__(self, app: str, *, env: Mapping[str, str] | None = None, concurrency: int = 2,
                 cwd: str | Path | None = None, pool: str = "threads") -> None:
        self.app = app
        self.env = {**os.environ, **(env or {})}
        self.concurrency = concurrency
        self.pool = pool
        self.cwd = cwd
        self.log = Path(tempfile.mkstemp(prefix="mp-celery-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> CeleryWorker:
        with self.log.open("wb") as handle:  # the child keeps its own copy of the fd
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", self.app, "worker", f"--pool={self.pool}",
                 f"--concurrency={self.concurrency}", "--loglevel=INFO", "--without-gossip",
                 "--without-mingle", "--without-heartbeat"],
                env=self.env, cwd=self.cwd, stdout=handle, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnavailable(f"Celery worker exited:\n{self.output()}")
            if " ready." in self.output():
                return self
            time.sleep(0.2)
        self.stop()
        raise ServiceUnavailable(f"Celery worker not ready within {timeout:.0f}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pool_pids(self) -> list[int]:
        """The live child processes of the worker: with ``pool="prefork"``, the pool
        processes that run tasks (Linux ``/proc``)."""
        assert self.process is not None, "start() the worker first"
        return child_pids(self.process.pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
            if self.process.poll() is None:
                self.process.kill()


def child_pids(pid: int) -> list[int]:
    """Live child processes of ``pid`` (Linux ``/proc``; a zombie has exited)."""
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            pids += [int(child) for child in (task / "children").read_text().split()]
    return [child for child in pids if _is_alive(child)]


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pid_with_connection_from(local_port: int, among: list[int]) -> int | None:
    """Which of the processes ``among`` holds the IPv4 TCP socket bound to
    ``local_port`` on this machine (the client side of a connection a server saw
    coming from that port), or ``None`` (Linux ``/proc``)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
            inodes.add(f"socket:[{fields[9]}]")
    for pid in among:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if os.readlink(fd) in inodes:
                        return pid
    return None
