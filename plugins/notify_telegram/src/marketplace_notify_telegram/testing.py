"""A fake Telegram Bot API server over HTTP, for this plugin's tests and yours.

:class:`FakeBotAPI` is a real HTTP server on a free loopback port that answers
``sendMessage`` (and ``getMe``) the way Telegram does, so a client is tested
over the wire, not against a stub::

    from marketplace_notify_telegram.testing import FakeBotAPI

    with FakeBotAPI() as fake:
        settings.MARKETPLACE["notify_telegram"] = {
            "BOT_TOKEN": fake.token, "CHAT_ID": "-1001234567890", "API_URL": fake.url,
        }
        ...  # something that notifies
        [message] = fake.wait_for_messages(1)
        assert message.text == "New purchase: Icon Pack\\n\\n..."

What it checks, like Telegram: the token in the path (401 otherwise), a
``chat_id`` and a non-empty ``text`` (400), a positive ``message_thread_id``,
the length (4096 UTF-16 code units as displayed) and, with
``parse_mode="HTML"``, that the text is valid Telegram HTML: only Telegram's
tags, properly nested, and every ``<``, ``>`` and ``&`` that is not markup
written as an entity ("can't parse entities", 400). :attr:`Message.text` is
the text as a reader sees it (tags removed, entities decoded).

Incoming updates, as Telegram sends them: :meth:`FakeBotAPI.user_starts`
(a person pressed Start on the deep link ``t.me/<bot>?start=<token>``) and
:meth:`FakeBotAPI.user_sends` make an ``Update``. Without a webhook it waits for
``getUpdates`` (``offset`` confirms the updates before it, ``timeout`` long-polls
for at most :data:`MAX_LONG_POLL` seconds here); after ``setWebhook`` the fake
POSTs it to the webhook's URL with the ``X-Telegram-Bot-Api-Secret-Token``
header, at once, and ``getUpdates`` answers 409 as Telegram does. ``getMe``,
``setWebhook``, ``deleteWebhook`` and ``getWebhookInfo`` answer as Telegram's do.
:meth:`FakeBotAPI.block` makes a chat answer 403 "bot was blocked by the user".

On demand it fails: :meth:`FakeBotAPI.fail_next` answers the next requests
with 429 (with ``retry_after``, then refusing further requests until that time
has passed, as Telegram does), 400, 401, 403 or any 5xx. Every request is
kept in :attr:`FakeBotAPI.attempts`, each sent message in
:attr:`FakeBotAPI.messages`.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from marketplace_core.testing.http_fakes import LocalHTTPService

#: Tags Telegram's HTML parse mode accepts.
HTML_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
})
MAX_MESSAGE_LENGTH = 4096
PARSE_MODES = frozenset({"HTML", "MarkdownV2", "Markdown"})
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was kicked from the supergroup chat",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

#: The longest a ``getUpdates`` with a ``timeout`` waits here (Telegram: up to 50 s).
MAX_LONG_POLL = 2.0
BOT_USERNAME = "fake_marketplace_bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
BLOCKED = "Forbidden: bot was blocked by the user"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_TAG = re.compile(
    r"""<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))*)\s*>"""
)
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")


def new_token() -> str:
    """A token shaped like Telegram's (``<bot id>:<35 characters>``)."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(26)[:35]}"


class EntityError(ValueError):
    """The text is not valid Telegram HTML (Telegram: "can't parse entities")."""


def parse_html(text: str) -> str:
    """The text a reader sees for Telegram-HTML ``text``; :class:`EntityError` if invalid."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        offset = len(text[:i].encode())
        if char == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise EntityError(f"Unsupported start tag at byte offset {offset}")
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in HTML_TAGS:
                raise EntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(f'Unmatched end tag at byte offset {offset}, expected '
                                      f'"</{stack[-1] if stack else ""}>", found "</{name}>"')
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise EntityError(f'Unsupported entity at byte offset {offset}: "&" must be '
                                  "written &amp;")
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif char == ">":
            raise EntityError(f'Unsupported character ">" at byte offset {offset}: write &gt;')
        else:
            out.append(char)
            i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Message:
    """A message the fake accepted."""

    message_id: int
    chat_id: str
    #: As a reader sees it: tags removed, entities decoded.
    text: str
    #: As sent (with markup when ``parse_mode`` was set).
    raw_text: str
    parse_mode: str | None
    message_thread_id: int | None
    received_at: float
    payload: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Attempt:
    """One request, whatever the answer."""

    method: str
    status: int
    received_at: float
    payload: dict[str, Any]
    response: dict[str, Any]


@dataclass(frozen=True)
class WebhookDelivery:
    """One update the fake POSTed to the webhook, and the answer."""

    update_id: int
    status: int
    body: str


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int | None
    description: str


class FakeBotAPI(LocalHTTPService):
    """The fake server: ``start()``/``stop()`` (or ``with``), ``reset()`` between tests;
    ``url`` is the API base URL (``API_URL``): ``http://127.0.0.1:<port>``."""

    thread_name = "fake-bot-api"

    def __init__(self, token: str | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 enforce_retry_after: bool = True, username: str = BOT_USERNAME) -> None:
        self.token = token or new_token()
        #: What ``getMe`` answers (the ``BOT_USERNAME`` setting).
        self.username = username
        super().__init__(host=host, port=port)
        #: After a 429, refuse requests (429 again) until ``retry_after`` has passed.
        self.enforce_retry_after = enforce_retry_after
        self._messages: list[Message] = []
        self._attempts: list[Attempt] = []
        self._failures: deque[_Failure] = deque()
        self._blocked_until = 0.0
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(700_000_001)
        self._pending: list[dict[str, Any]] = []
        self._webhook: dict[str, str] | None = None
        self._webhook_error = ""
        self._blocked_chats: set[str] = set()
        self._deliveries: list[WebhookDelivery] = []
        self._deliver = threading.Lock()  # one webhook POST at a time, as Telegram does

    def reset(self) -> None:
        """Forget messages, attempts, queued failures, any 429 block, pending
        updates, the webhook and blocked chats."""
        with self._lock:
            self._messages.clear()
            self._attempts.clear()
            self._failures.clear()
            self._blocked_until = 0.0
            self._pending.clear()
            self._webhook = None
            self._webhook_error = ""
            self._blocked_chats.clear()
            self._deliveries.clear()

    # --- people talking to the bot ------------------------------------------

    def user_starts(self, token: str, *, chat_id: int | str = 5550001,
                    first_name: str = "Sam", username: str = "sam") -> dict[str, Any]:
        """A person opened ``t.me/<bot>?start=<token>`` and pressed Start: the bot
        gets ``/start <token>`` from their private chat. Returns the ``Update``
        (delivered to the webhook now when one is set, else kept for ``getUpdates``)."""
        return self.user_sends(f"/start {token}", chat_id=chat_id, first_name=first_name,
                               username=username)

    def user_sends(self, text: str, *, chat_id: int | str = 5550001, first_name: str = "Sam",
                   username: str = "sam") -> dict[str, Any]:
        """A person sent ``text`` to the bot in their private chat (see :meth:`user_starts`)."""
        person = {"id": int(chat_id), "is_bot": False, "first_name": first_name,
                  "username": username, "language_code": "en"}
        message: dict[str, Any] = {
            "message_id": next(self._ids), "date": int(time.time()), "text": text,
            "from": person,
            "chat": {"id": int(chat_id), "type": "private", "first_name": first_name,
                     "username": username},
        }
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": utf16_length(command)}]
        with self._lock:
            update = {"update_id": next(self._update_ids), "message": message}
            self._pending.append(update)
            webhook = dict(self._webhook) if self._webhook else None
            self._lock.notify_all()
        if webhook is not None:
            self.deliver_pending()
        return update

    def deliver_pending(self) -> list[WebhookDelivery]:
        """POST the pending updates to the webhook, oldest first, as Telegram does
        (an update is dropped once the webhook answers 2xx, kept otherwise)."""
        done: list[WebhookDelivery] = []
        with self._deliver:
            while True:
                with self._lock:
                    if self._webhook is None or not self._pending:
                        return done
                    webhook, update = dict(self._webhook), self._pending[0]
                status, body = _post_update(webhook, update)
                delivery = WebhookDelivery(update["update_id"], status, body)
                with self._lock:
                    self._deliveries.append(delivery)
                    done.append(delivery)
                    if 200 <= status < 300:
                        self._pending.remove(update)
                        self._webhook_error = ""
                    else:
                        self._webhook_error = f"Wrong response from the webhook: {status}"
                    self._lock.notify_all()
                    if not 200 <= status < 300:
                        return done

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (by ``getUpdates``'s offset or a 2xx from the webhook)."""
        with self._lock:
            return list(self._pending)

    def block(self, chat_id: int | str) -> None:
        """The person blocked the bot: messages to ``chat_id`` get 403."""
        with self._lock:
            self._blocked_chats.add(str(chat_id))

    # --- what happened ------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[Message]:
        """Block until at least ``count`` messages arrived; ``AssertionError`` on timeout."""
        return self._wait_for(lambda: self._messages, count, timeout,
                              "messages at the fake Bot API")

    def wait_for_attempts(self, count: int, timeout: float = 10.0) -> list[Attempt]:
        """Block until at least ``count`` requests arrived; ``AssertionError`` on timeout."""
        return self._wait_for(lambda: self._attempts, count, timeout,
                              "requests at the fake Bot API")

    # --- failures on demand -------------------------------------------------

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None,
                  description: str | None = None) -> None:
        """Answer the next ``times`` ``sendMessage`` requests with ``status``.

        For 429 give ``retry_after`` (seconds, default 1): it is sent in
        ``parameters.retry_after`` and ``Retry-After``, and with
        ``enforce_retry_after`` requests arriving before it passed get 429 again.
        """
        if status == 429:
            retry_after = retry_after or 1
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        with self._lock:
            self._failures.append(_Failure(status, times, retry_after, description))

    # --- the HTTP side ------------------------------------------------------

    def _answer(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        match = _PATH.match(path)
        if match is None:
            return 404, _error(404, "Not Found")
        if not secrets.compare_digest(match["token"], self.token):
            return 401, _error(401, "Unauthorized")
        method = match["method"]
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": int(self.token.split(":")[0]),
                                                "is_bot": True, "first_name": "Fake bot",
                                                "username": self.username}}
        if method in self._UPDATE_METHODS:
            return getattr(self, self._UPDATE_METHODS[method])(payload)
        if method != "sendMessage":
            return 404, _error(404, "Not Found: method not found")
        now = time.monotonic()
        if self.enforce_retry_after and now < self._blocked_until:
            wait = math.ceil(self._blocked_until - now)
            return 429, _error(429, f"Too Many Requests: retry after {wait}",
                               {"retry_after": wait})
        if self._failures:
            failure = self._failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.popleft()
            if failure.status == 429:
                self._blocked_until = now + (failure.retry_after or 1)
                return 429, _error(429, failure.description,
                                   {"retry_after": failure.retry_after or 1})
            return failure.status, _error(failure.status, failure.description)
        return self._send_message(payload)

    _UPDATE_METHODS = {"getUpdates": "_get_updates", "setWebhook": "_set_webhook",
                       "deleteWebhook": "_delete_webhook", "getWebhookInfo": "_webhook_info"}

    def _get_updates(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Called with the lock held (a long poll waits on it, releasing it)."""
        if self._webhook is not None:
            return 409, _error(409, "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first")
        try:
            offset = int(payload.get("offset") or 0)
            limit = min(max(int(payload.get("limit") or 100), 1), 100)
            timeout = max(float(payload.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            return 400, _error(400, "Bad Request: invalid parameters")
        if offset > 0:  # confirms every update before it
            self._pending[:] = [u for u in self._pending if u["update_id"] >= offset]
        deadline = time.monotonic() + min(timeout, MAX_LONG_POLL)
        while not self._pending and time.monotonic() < deadline:
            self._lock.wait(deadline - time.monotonic())
        return 200, {"ok": True, "result": list(self._pending[:limit])}

    def _set_webhook(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = str(payload.get("url") or "")
        if not url:
            return self._delete_webhook(payload)
        if not url.startswith(("https://", "http://")):  # Telegram: https only
            return 400, _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided "
                                    "for webhook")
        secret = str(payload.get("secret_token") or "")
        if secret and not _SECRET.match(secret):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters")
        self._webhook = {"url": url, "secret_token": secret}
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _delete_webhook(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        was_set = self._webhook is not None
        self._webhook = None
        if str(payload.get("drop_pending_updates") or "").lower() in ("true", "1"):
            self._pending.clear()
        return 200, {"ok": True, "result": True,
                     "description": "Webhook was deleted" if was_set
                     else "Webhook is already deleted"}

    def _webhook_info(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        info: dict[str, Any] = {"url": self._webhook["url"] if self._webhook else "",
                                "has_custom_certificate": False,
                                "pending_update_count": len(self._pending)}
        if self._webhook_error:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = self._webhook_error
        return 200, {"ok": True, "result": info}

    def _send_message(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = str(payload.get("chat_id") or "").strip()
        if not chat_id:
            return 400, _error(400, "Bad Request: chat_id is empty")
        if chat_id in self._blocked_chats:
            return 403, _error(403, BLOCKED)
        raw_text = str(payload.get("text") or "")
        parse_mode = payload.get("parse_mode") or None
        if parse_mode is not None and parse_mode not in PARSE_MODES:
            return 400, _error(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        thread = payload.get("message_thread_id")
        if thread is not None and (isinstance(thread, bool) or not str(thread).isdigit()
                                   or int(thread) <= 0):
            return 400, _error(400, "Bad Request: message thread not found")
        try:
            text = parse_html(raw_text) if parse_mode == "HTML" else raw_text
        except EntityError as exc:
            return 400, _error(400, f"Bad Request: can't parse entities: {exc}")
        if not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_MESSAGE_LENGTH:
            return 400, _error(400, "Bad Request: message is too long")
        message = Message(
            message_id=next(self._ids), chat_id=chat_id, text=text, raw_text=raw_text,
            parse_mode=parse_mode, message_thread_id=int(thread) if thread else None,
            received_at=time.monotonic(), payload=payload,
        )
        self._messages.append(message)
        result = {"message_id": message.message_id, "date": int(time.time()),
                  "chat": {"id": chat_id}, "text": text}
        if message.message_thread_id:
            result["message_thread_id"] = message.message_thread_id
        return 200, {"ok": True, "result": result}

    def _handle(self, raw_path: str, body: bytes,
                content_type: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        payload: dict[str, Any] = dict(parse_qsl(parts.query))
        if body:
            if content_type.startswith("application/json"):
                try:
                    decoded = json.loads(body)
                except ValueError:
                    decoded = None
                if not isinstance(decoded, dict):
                    return 400, _error(400, "Bad Request: invalid JSON")
                payload.update(decoded)
            else:
                payload.update(parse_qsl(body.decode(errors="replace")))
        with self._lock:
            status, answer = self._answer(parts.path, payload)
            match = _PATH.match(parts.path)
            api_method = match["method"] if match else parts.path
            self._attempts.append(Attempt(api_method, status, time.monotonic(), payload, answer))
            self._lock.notify_all()
        return status, answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = fake._handle(self.path, body,
                                              self.headers.get("Content-Type") or "")
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                retry_after = (answer.get("parameters") or {}).get("retry_after")
                if retry_after:
                    self.send_header("Retry-After", str(retry_after))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read attempts instead

        return Handler


def _post_update(webhook: dict[str, str], update: dict[str, Any]) -> tuple[int, str]:
    """POST ``update`` to the webhook as Telegram does: JSON, with the secret header."""
    headers = {"Content-Type": "application/json"}
    if webhook.get("secret_token"):
        headers[SECRET_HEADER] = webhook["secret_token"]
    request = urllib.request.Request(  # noqa: S310 - the webhook URL setWebhook checked
        webhook["url"], data=json.dumps(update).encode(),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"{type(exc).__name__}: {exc}"


def _error(code: int, description: str,
           parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return answer
