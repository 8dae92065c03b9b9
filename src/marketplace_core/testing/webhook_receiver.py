"""A real HTTP endpoint that receives outbound webhooks and checks their signatures.

For core's tests and plugin authors' (a plugin's events arrive the same way)::

    with WebhookReceiver(secret=endpoint.secret) as receiver:
        ...  # emit the event, run the task
        [message] = receiver.wait_for(1)
        assert message.verified and message.payload["type"] == "order.paid"

Each request is verified with the ``standardwebhooks`` library against every
secret in :attr:`WebhookReceiver.secrets` separately (so a test can tell which
secrets signed it). :meth:`WebhookReceiver.answer_with` queues answers (status
codes, a delay, a redirect) for the next requests; without one the receiver
answers 204.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from marketplace_core.testing.http_fakes import LocalHTTPService


@dataclass(frozen=True)
class ReceivedWebhook:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    #: The secrets (of :attr:`WebhookReceiver.secrets`) whose signature verified.
    verified_by: tuple[str, ...]
    #: The status the receiver answered with.
    answered: int

    @property
    def verified(self) -> bool:
        return bool(self.verified_by)

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def signatures(self) -> list[str]:
        return self.headers.get("webhook-signature", "").split()


@dataclass
class Answer:
    """How to answer one request: ``status``, after ``delay`` seconds, with ``headers``;
    ``trickle``: send the status line one byte per that many seconds (a slow loris)."""

    status: int = 204
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0


class WebhookReceiver(LocalHTTPService):
    """The receiver: ``start()``/``stop()`` (or ``with``); see the module docstring."""

    thread_name = "webhook-receiver"

    def __init__(self, *, secrets: list[str] | tuple[str, ...] = (), secret: str = "",
                 host: str = "127.0.0.1", port: int = 0,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(host=host, port=port)
        #: A server-side TLS context: the receiver speaks https (see :attr:`url`).
        self.tls = tls
        self.secrets: list[str] = [*secrets, *([secret] if secret else [])]
        self.received: list[ReceivedWebhook] = []
        self._answers: deque[Answer] = deque()
        #: Set to release requests held by an answer's ``delay`` early (on stop).
        self._release = threading.Event()

    def _prepare(self, server: ThreadingHTTPServer) -> None:
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def answer_with(self, *answers: Answer | int) -> None:
        """Answer the next requests with ``answers`` in order (an int is a status)."""
        with self._lock:
            self._answers.extend(a if isinstance(a, Answer) else Answer(status=a)
                                 for a in answers)

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[ReceivedWebhook]:
        """The first ``count`` or more requests, waiting up to ``timeout`` seconds."""
        return self._wait_for(lambda: self.received, count, timeout, "webhook requests")

    def stop(self) -> None:
        self._release.set()
        super().stop()

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[str, ...]:
        good = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
            except WebhookVerificationError:
                continue
            good.append(secret)
        return tuple(good)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    answer = receiver._answers.popleft() if receiver._answers else Answer()
                if answer.delay:
                    receiver._release.wait(answer.delay)
                message = ReceivedWebhook(path=self.path, headers=headers, body=body,
                                          verified_by=receiver._verify(body, headers),
                                          answered=answer.status)
                try:
                    if answer.trickle:
                        for byte in f"HTTP/1.1 {answer.status} OK\r\n".encode():
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            if receiver._release.wait(answer.trickle):
                                break
                        raise ConnectionAbortedError("trickled")
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the sender gave up waiting (a timeout test)
                with receiver._lock:
                    receiver.received.append(message)
                    receiver._lock.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
