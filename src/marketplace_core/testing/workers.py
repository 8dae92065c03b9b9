"""A real Celery worker process for integration tests.

The worker runs the site's Celery app against the same broker and the same
*test* database as the test process, so tasks it runs see committed test data
(use ``transactional_db`` / ``live_server`` tests).
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
                 cwd: str | Path | None = None) -> None:
        self.app = app
        self.env = {**os.environ, **(env or {})}
        self.concurrency = concurrency
        self.cwd = cwd
        self.log = Path(tempfile.mkstemp(prefix="mp-celery-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> CeleryWorker:
        with self.log.open("wb") as handle:  # the child keeps its own copy of the fd
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", self.app, "worker", "--pool=threads",
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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
            if self.process.poll() is None:
                self.process.kill()
