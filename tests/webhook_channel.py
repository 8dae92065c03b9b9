"""A tiny notification channel for core's tests, and the fake service it talks to.

Core's tests run with no plugin installed, yet the notification dispatch and
the notification contract kit need a real channel. :class:`WebhookChannel`
posts each notification as a small HTML document (JSON ``{"html": ...}``) to
``MARKETPLACE["test_webhook"]["URL"]`` over HTTP, and translates the answers
the way a real channel does: 429 with ``Retry-After`` → ``RetryLater``; any
other 4xx → ``PermanentFailure``; 5xx or no answer → an ordinary exception
(retried with backoff).

:class:`WebhookInbox` is that service: a real HTTP server on a free loopback
port that keeps what it received, checks the HTML is well formed, and fails on
demand. Installed as a plugin with :func:`installed_webhook_channel` (never
through entry points), so it exists only while a test uses it.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler
from typing import Any

from marketplace_core import PluginInfo, hookimpl
from marketplace_core.conf import conf
from marketplace_core.notifications.channels import (
    Notification,
    NotificationChannel,
    PermanentFailure,
    RetryLater,
    RetryPolicy,
)
from marketplace_core.testing.http_fakes import LocalHTTPService

NAME = "test_webhook"
OTHER_NAME = "test_webhook_other"
ALLOWED_TAGS = frozenset({"p", "strong", "a"})


class WebhookUnavailable(Exception):
    """The inbox answered 5xx, or not at all."""


class WebhookChannel(NotificationChannel):
    """Posts notifications as HTML to the configured webhook URL.

    Options in ``MARKETPLACE[identifier]``: ``URL`` (required: without it
    :meth:`accepts` says no), ``MAX_RETRIES``, ``RETRY_BACKOFF``,
    ``RETRY_BACKOFF_MAX``.
    """

    identifier = NAME
    verbose_name = "Test webhook"
    logger_name = "tests.webhook_channel"

    def accepts(self, notification: Notification) -> bool:
        return bool(conf.plugin(self.identifier).get("URL"))

    def retry_policy(self) -> RetryPolicy:
        options = conf.plugin(self.identifier)
        default = RetryPolicy()
        return RetryPolicy(
            max_retries=int(options.get("MAX_RETRIES", default.max_retries)),
            backoff=float(options.get("RETRY_BACKOFF", default.backoff)),
            backoff_max=float(options.get("RETRY_BACKOFF_MAX", default.backoff_max)),
        )

    def send(self, notification: Notification) -> None:
        request = urllib.request.Request(
            str(conf.plugin(self.identifier)["URL"]),
            data=json.dumps({"html": render(notification)}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            status, headers, answer = exc.code, exc.headers, exc.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            raise WebhookUnavailable(f"the webhook did not answer: {exc}") from None
        if status == 429:
            raise RetryLater(float(headers.get("Retry-After") or 1), reason=answer)
        if status >= 500:
            raise WebhookUnavailable(f"HTTP {status}: {answer}")
        raise PermanentFailure(answer, code=f"HTTP {status}")


class OtherWebhookChannel(WebhookChannel):
    """A second channel of the same kind, configured in ``MARKETPLACE["test_webhook_other"]``."""

    identifier = OTHER_NAME
    verbose_name = "Other test webhook"


def render(notification: Notification) -> str:
    """The notification as HTML: the title in bold, the body, an optional link."""
    parts = [f"<p><strong>{html.escape(notification.title)}</strong></p>"]
    if notification.body:
        parts.append(f"<p>{html.escape(notification.body)}</p>")
    if notification.url.startswith(("https://", "http://")):
        parts.append(f'<p><a href="{html.escape(notification.url)}">Open</a></p>')
    return "".join(parts)


# -------------------------------------------------------------------------
# the fake service
# -------------------------------------------------------------------------


class MalformedHTML(ValueError):
    """The document is not the small, well-formed HTML the inbox accepts."""


class _Reader(HTMLParser):
    """Collects the text a reader sees; refuses unknown or unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise MalformedHTML(f"tag <{tag}> is not allowed")
        if tag == "p" and self.text:
            self.text.append("\n\n")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise MalformedHTML(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


_TAG = re.compile(r'</?(?:p|strong)>|<a href="[^"<>]*">|</a>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")


def visible_text(document: str) -> str:
    """What a reader of ``document`` sees; :class:`MalformedHTML` if it is not valid.

    Strict, like Telegram's HTML mode: every ``<``, ``>`` and ``&`` that is not
    one of the allowed tags must be written as an entity.
    """
    bare = _ENTITY.sub("", _TAG.sub("", document))
    for char in "<>&":
        if char in bare:
            raise MalformedHTML(f"a bare {char!r} in the text")
    reader = _Reader()
    reader.feed(document)
    reader.close()
    if reader.open:
        raise MalformedHTML(f"<{reader.open[-1]}> is never closed")
    return "".join(reader.text)


@dataclass(frozen=True)
class Received:
    """A request the inbox answered, and what it answered."""

    status: int
    document: str
    text: str
    received_at: float


class WebhookInbox(LocalHTTPService):
    """The fake webhook service: ``start()``/``stop()`` (or ``with``), ``reset()``."""

    thread_name = "webhook-inbox"

    def __init__(self) -> None:
        super().__init__()
        self._received: list[Received] = []
        self._failures: deque[tuple[int, float | None]] = deque()

    @property
    def url(self) -> str:
        """Where deliveries go: ``/hook`` on the running server."""
        assert self._server is not None, "the inbox is not running"
        return f"{super().url}/hook"

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
            self._failures.clear()

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` posts with ``status`` (429: with ``Retry-After``)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    @property
    def attempts(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def texts(self) -> list[str]:
        """The visible text of each accepted message, oldest first."""
        with self._lock:
            return [r.text for r in self._received if r.status == 200]

    def wait_for_attempts(self, count: int, timeout: float = 20.0) -> list[Received]:
        return self._wait_for(lambda: self._received, count, timeout, "posts")

    def _answer(self, body: bytes) -> tuple[int, dict[str, str], str, str]:
        try:
            document = str(json.loads(body)["html"])
        except (ValueError, KeyError, TypeError):
            return 400, {}, "", "expected JSON with an html field"
        if self._failures:
            status, retry_after = self._failures.popleft()
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            return status, headers, document, f"refused with {status}"
        try:
            text = visible_text(document)
        except MalformedHTML as exc:
            return 422, {}, document, f"malformed HTML: {exc}"
        return 200, {}, document, text

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with inbox._lock:
                    status, headers, document, text = inbox._answer(body)
                    inbox._received.append(Received(status, document,
                                                    text if status == 200 else "",
                                                    time.monotonic()))
                    inbox._lock.notify_all()
                data = (text if status != 200 else "ok").encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# -------------------------------------------------------------------------
# the plugin
# -------------------------------------------------------------------------

INFO = PluginInfo(
    name=NAME,
    verbose_name="Test webhook notifications",
    version="0.0.0",
    compatibility="marketplace-core>=0",
    app="tests",
    hooks=__name__,
)


@hookimpl
def register_notification_channels() -> list[type[NotificationChannel]]:
    return [WebhookChannel, OtherWebhookChannel]


@contextmanager
def installed_webhook_channel() -> Iterator[None]:
    """Enable this module as a plugin, then restore the previous manager."""
    from marketplace_core.plugins import manager

    previous = manager.enabled_plugins()
    manager.install([*previous, INFO])
    try:
        yield
    finally:
        manager.install(previous)
