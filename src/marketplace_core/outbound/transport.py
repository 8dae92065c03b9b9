"""One HTTP POST to a checked :class:`~marketplace_core.outbound.destinations.Destination`.

Connects to ``destination.address`` (resolved and checked already), sends the
``Host`` header and, for https, the TLS server name and certificate check of
the URL's host. Nothing else is resolved. Redirects are never followed (a 3xx
is an answer like any other), the connect and read timeouts are separate
(``WEBHOOKS_CONNECT_TIMEOUT``, ``WEBHOOKS_READ_TIMEOUT``), and at most
:data:`READ_LIMIT` bytes of the answer are read. The read timeout bounds each
wait for data; the whole exchange after connecting is also cut off after twice
the read timeout, so an endpoint that trickles its answer a byte at a time
cannot hold a worker for hours.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass

from marketplace_core.outbound.destinations import Destination

#: Bytes of the response body read (the log keeps about 1 KB of them).
READ_LIMIT = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a fixed address, whatever the host name says."""

    def __init__(self, destination: Destination, connect_timeout: float,
                 read_timeout: float) -> None:
        super().__init__(destination.host.strip("[]"), destination.port, timeout=connect_timeout)
        self._destination = destination
        self._read_timeout = read_timeout

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((str(self._destination.address), self.port),
                                        timeout=self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open_socket(),
                                        server_hostname=self._destination.host.strip("[]"))


def post(destination: Destination, body: bytes, headers: dict[str, str], *,
         connect_timeout: float, read_timeout: float) -> Answer:
    """POST ``body`` and return the answer; ``OSError`` (timeouts included),
    ``ssl.SSLError`` or ``http.client.HTTPException`` when there is none."""
    cls = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    connection = cls(destination, connect_timeout, read_timeout)
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):  # wakes a blocked read at once
                connection.sock.shutdown(socket.SHUT_RDWR)

    timer: threading.Timer | None = None
    try:
        connection.connect()
        timer = threading.Timer(2 * read_timeout, cut)
        timer.daemon = True
        timer.start()
        connection.putrequest("POST", destination.target, skip_host=True,
                              skip_accept_encoding=True)
        connection.putheader("Host", destination.host_header)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        # Cut off while reading the body, the status still counts: the excerpt is shorter.
        return Answer(status=response.status, body=response.read(READ_LIMIT))
    except (OSError, http.client.HTTPException):
        if cut_off.is_set():
            raise TimeoutError("the answer took too long") from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
        connection.close()
