"""The only module that talks to the Telegram Bot API over HTTPS: ``sendMessage``,
``getUpdates`` and the webhook methods.

Plain ``urllib`` (no SDK, no extra dependency, and no HTTP library logging the
request URL, which holds the bot token). Answers are sorted into three errors
so the caller can decide what to do:

- :class:`RetryAfter`: 429, Telegram says how long to wait (``retry_after``);
- :class:`Unavailable`: 5xx, timeouts, refused connections: retry with backoff;
- :class:`Rejected`: any other error (400 bad request, 401 token revoked, 403
  bot removed from the chat, 404): sending again would fail again.

No error message contains the token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from marketplace_notify_telegram import __version__

USER_AGENT = f"marketplace-notify-telegram/{__version__}"


class BotAPIError(Exception):
    """Telegram did not accept the message; ``description`` is Telegram's reason."""

    def __init__(self, description: str, *, status: int | None = None,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status or 'no answer'}: {description}")
        self.description = description
        self.status = status
        self.parameters = parameters or {}


class RetryAfter(BotAPIError):
    """429 Too Many Requests: wait ``retry_after`` seconds, then send again."""

    def __init__(self, description: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(description, **kwargs)
        self.retry_after = retry_after


class Unavailable(BotAPIError):
    """A server error or no answer at all: worth retrying later."""


class Rejected(BotAPIError):
    """A permanent refusal: the same request would be refused again."""


@dataclass(frozen=True)
class SentMessage:
    message_id: int
    chat_id: int | str


def call(method: str, payload: dict[str, Any], *, api_url: str, token: str,
         timeout: float) -> Any:
    """POST ``payload`` to the Bot API ``method``; its ``result``, or a :class:`BotAPIError`."""
    request = urllib.request.Request(  # noqa: S310 - api_url is checked to be http(s)
        f"{api_url.rstrip('/')}/bot{token}/{method}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, body, headers = exc.code, exc.read(), exc.headers
    except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unavailable(f"Telegram did not answer: {type(reason).__name__}: {reason}") from None
    answer = _json(body)
    if status == 200 and answer.get("ok") is True:
        return answer.get("result")
    description = str(answer.get("description") or f"HTTP {status}")
    found = answer.get("parameters")
    parameters: dict[str, Any] = found if isinstance(found, dict) else {}
    if status == 429:
        retry_after = _seconds(parameters.get("retry_after")) or _seconds(
            headers.get("Retry-After")) or 1.0
        raise RetryAfter(description, retry_after=retry_after, status=status,
                         parameters=parameters)
    if status >= 500 or status == 200:  # 200 with ok=false: a broken proxy, not Telegram
        raise Unavailable(description, status=status, parameters=parameters)
    raise Rejected(description, status=status, parameters=parameters)


def send_message(*, api_url: str, token: str, chat_id: str, text: str, timeout: float,
                 parse_mode: str | None = "HTML", thread_id: int | None = None) -> SentMessage:
    """POST ``sendMessage`` and return the sent message's id, or raise a :class:`BotAPIError`."""
    payload: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "link_preview_options": {"is_disabled": True},
    }
    if parse_mode:
        payload["parse_mode"] = parse_mode
    if thread_id is not None:
        payload["message_thread_id"] = thread_id
    result = call("sendMessage", payload, api_url=api_url, token=token, timeout=timeout)
    result = result if isinstance(result, dict) else {}
    return SentMessage(message_id=int(result.get("message_id") or 0),
                       chat_id=(result.get("chat") or {}).get("id", chat_id))


def get_updates(*, api_url: str, token: str, offset: int, timeout: float,
                limit: int = 100) -> list[dict[str, Any]]:
    """``getUpdates`` from ``offset`` (confirming every update before it), without
    long polling: Telegram answers at once. Updates of kinds other than
    messages are not asked for."""
    result = call("getUpdates", {"offset": offset, "limit": limit, "timeout": 0,
                                 "allowed_updates": ["message"]},
                  api_url=api_url, token=token, timeout=timeout)
    return [update for update in result or [] if isinstance(update, dict)]


def set_webhook(*, api_url: str, token: str, url: str, secret_token: str,
                timeout: float) -> None:
    """``setWebhook``: Telegram POSTs each update to ``url`` with ``secret_token`` in
    the ``X-Telegram-Bot-Api-Secret-Token`` header."""
    call("setWebhook", {"url": url, "secret_token": secret_token,
                        "allowed_updates": ["message"]},
         api_url=api_url, token=token, timeout=timeout)


def delete_webhook(*, api_url: str, token: str, timeout: float) -> None:
    """``deleteWebhook``: back to ``getUpdates``."""
    call("deleteWebhook", {}, api_url=api_url, token=token, timeout=timeout)


def get_webhook_info(*, api_url: str, token: str, timeout: float) -> dict[str, Any]:
    """``getWebhookInfo``: ``url`` (``""`` when none is set), ``pending_update_count``..."""
    result = call("getWebhookInfo", {}, api_url=api_url, token=token, timeout=timeout)
    return result if isinstance(result, dict) else {}


def is_blocked(exc: BotAPIError) -> bool:
    """Whether ``exc`` says the chat is gone for good: the person blocked the bot or
    deleted their account, or the chat does not exist (any more)."""
    text = exc.description.lower()
    return exc.status == 403 or (exc.status == 400 and "chat not found" in text)


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
