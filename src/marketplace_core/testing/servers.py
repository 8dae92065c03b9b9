"""Real servers for tests, started on free loopback ports and stopped afterwards.

Each server raises :class:`ServiceUnavailable` when it cannot start (binary
missing, port never opened): tests that need it fail loudly, never skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class ServiceUnavailable(RuntimeError):
    """A test service could not be started; the message says how to install it."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago.

    All are bound at once before any is released, so (unlike calling
    :func:`free_port` repeatedly) the kernel cannot hand out one port twice.
    Another process may still take one before the caller binds it: a server
    that fails to start for that reason should be retried with new ports.
    """
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                 for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def wait_for_port(port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None,
                  what: str = "server") -> None:
    """Block until something accepts connections on ``port`` or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceUnavailable(f"{what} exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise ServiceUnavailable(f"{what} did not open port {port} within {timeout:.0f}s")


def find_binary(name: str, *, extra_globs: tuple[str, ...] = (), hint: str = "") -> str:
    """The path of executable ``name`` or :class:`ServiceUnavailable` with ``hint``."""
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_globs:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if os.access(candidate, os.X_OK):
                return candidate
    raise ServiceUnavailable(f"{name} not found. {hint}".strip())


class PostgresServer:
    """A throw-away PostgreSQL cluster (``initdb`` + ``pg_ctl``) on a free port.

    As root, PostgreSQL refuses to run, so the cluster is created and started
    as the ``postgres`` system user through ``runuser``.
    """

    user = "postgres"

    def __init__(self) -> None:
        hint = "Install PostgreSQL (Debian: apt-get install postgresql)."
        globs = ("/usr/lib/postgresql/*/bin/{}",)
        self.initdb = find_binary("initdb", extra_globs=tuple(g.format("initdb") for g in globs),
                                  hint=hint)
        self.pg_ctl = find_binary("pg_ctl", extra_globs=tuple(g.format("pg_ctl") for g in globs),
                                  hint=hint)
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="mp-pg-"))
        self.data = self.directory / "data"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise ServiceUnavailable(
                f"{' '.join(args[:2])} failed: {result.stdout}\n{result.stderr}"
            )
        return result

    def start(self) -> PostgresServer:
        if self._as_root:
            shutil.chown(self.directory, user=self.user, group=self.user)
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -k {self.directory} -h 127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-w", "-t", "60",
                  "-l", str(self.directory / "server.log"), "start")
        wait_for_port(self.port, what="PostgreSQL")
        return self

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        with contextlib.suppress(ServiceUnavailable):
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


class RedisServer:
    """A ``redis-server`` with no persistence on a free port."""

    def __init__(self) -> None:
        self.binary = find_binary(
            "redis-server", hint="Install Redis (Debian: apt-get install redis-server)."
        )
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="mp-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, process=self.process, what="redis-server")
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            if self.process.poll() is None:
                self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def running(server: PostgresServer | RedisServer) -> Iterator[PostgresServer | RedisServer]:
    """Start ``server`` for the duration of a ``with`` block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
