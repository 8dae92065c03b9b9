"""The life cycle shared by the in-process fakes of third-party HTTP services.

A fake (Telegram's Bot API, Google Analytics, a webhook receiver...) subclasses
:class:`LocalHTTPService`, gives :meth:`~LocalHTTPService._handler_class` and
keeps what it records; this base starts a threaded HTTP server on a loopback
port (``port=0``: a free one, read back after :meth:`~LocalHTTPService.start`),
stops it, and works as a context manager. What a fake records it changes under
``self._lock`` (a condition: ``notify_all()`` after recording) so tests can wait
for it with :meth:`~LocalHTTPService._wait_for`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self, TypeVar

T = TypeVar("T")


class LocalHTTPService:
    """An HTTP server on ``host:port`` run by a daemon thread until :meth:`stop`."""

    #: The serving thread's name, for thread dumps of a hanging test.
    thread_name = "fake-http-service"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        #: Guards what the fake records; notified when something is recorded.
        self._lock = threading.Condition()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, usually a closure over ``self``."""
        raise NotImplementedError

    def _prepare(self, server: ThreadingHTTPServer) -> None:
        """Change the listening server before it serves (e.g. wrap its socket in TLS)."""

    def start(self) -> Self:
        """Listen (on a free port when ``port`` is 0) and serve in the background."""
        server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        server.daemon_threads = True
        self._prepare(server)
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True,
                         name=self.thread_name).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; a second call does nothing."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_for(self, items: Callable[[], Sequence[T]], count: int, timeout: float,
                  what: str) -> list[T]:
        """The first ``count`` or more of ``items()`` once there are that many,
        waiting up to ``timeout`` seconds; ``AssertionError`` naming ``what`` and
        what arrived when they do not."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(items()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"Expected {count} {what} within {timeout}s, "
                                         f"got {len(items())}: {list(items())!r}")
                self._lock.wait(left)
            return list(items())

    @property
    def url(self) -> str:
        """The service's base URL: ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"
