"""The life cycle shared by the in-process fakes of third-party HTTP services.

A fake (Telegram's Bot API, Google Analytics, a webhook receiver...) subclasses
:class:`LocalHTTPService`, gives :meth:`~LocalHTTPService._handler_class` and
keeps what it records; this base starts a threaded HTTP server on a loopback
port (``port=0``: a free one, read back after :meth:`~LocalHTTPService.start`),
stops it, and works as a context manager.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalHTTPService:
    """An HTTP server on ``host:port`` run by a daemon thread until :meth:`stop`."""

    #: The serving thread's name, for thread dumps of a hanging test.
    thread_name = "fake-http-service"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, usually a closure over ``self``."""
        raise NotImplementedError

    def start(self) -> Self:
        """Listen (on a free port when ``port`` is 0) and serve in the background."""
        server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        server.daemon_threads = True
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

    @property
    def url(self) -> str:
        """The service's base URL: ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"
