"""The bot's incoming updates: ``/start <token>`` connects a chat.

Updates arrive one of two ways, never both (Telegram refuses ``getUpdates``
while a webhook is set):

- a webhook (``WEBHOOK_SECRET`` set, ``manage.py telegram_webhook set``):
  Telegram POSTs each update to ``/telegram/webhook/``
  (:mod:`marketplace_notify_telegram.views`);
- polling (no ``WEBHOOK_SECRET``, for a site without a public address): the
  periodic task ``notify_telegram.poll_updates`` calls :func:`poll`, which
  asks ``getUpdates`` from the stored offset and stores the next one, so
  each update is read once.

Either way :func:`handle_update` handles each update once (an update id seen
before is skipped: Telegram redelivers a webhook update it got no 2xx for).
It answers in the chat through the ``notify_telegram.reply`` task, queued
after the change commits; nothing waits for Telegram in the webhook's request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from marketplace_core.conf import conf as core_conf
from marketplace_core.people.names import display_name
from marketplace_core.transactions import after_commit
from marketplace_notify_telegram import bot_api, linking
from marketplace_notify_telegram.conf import NAME, conf
from marketplace_notify_telegram.models import UpdateOffset

logger = logging.getLogger(NAME)

#: How long a handled update id is remembered (Telegram keeps updates 24 hours).
SEEN_TTL = 2 * 24 * 3600


def _seen_key(update_id: int) -> str:
    return f"{NAME}:update:{update_id}"


def handle_update(update: Any) -> str:
    """Act on one Bot API ``Update``; what happened: ``"connected"``, ``"refused"``
    (a bad, used or expired token), ``"hello"`` (``/start`` alone), ``"seen"``
    (handled before) or ``"ignored"`` (anything else)."""
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return "ignored"
    if cache.get(_seen_key(update_id)):
        return "seen"
    outcome = _handle(update)
    cache.set(_seen_key(update_id), outcome, SEEN_TTL)
    return outcome


def _handle(update: dict[str, Any]) -> str:
    message = update.get("message")
    if not isinstance(message, dict):
        return "ignored"
    found_chat, found_text = message.get("chat"), message.get("text")
    chat: dict[str, Any] = found_chat if isinstance(found_chat, dict) else {}
    text = found_text if isinstance(found_text, str) else ""
    if chat.get("type") != "private" or chat.get("id") is None:
        return "ignored"
    command, _, payload = text.strip().partition(" ")
    if command not in ("/start", f"/start@{conf.BOT_USERNAME}"):
        return "ignored"
    chat_id = str(chat["id"])
    payload = payload.strip()
    site = core_conf.SITE_NAME
    if not payload:
        _reply(chat_id, f"Hello! To get your {site} notifications here, open your profile "
                        "there and press \u201cConnect Telegram\u201d.", update["update_id"])
        return "hello"
    name = " ".join(str(chat.get(part) or "") for part in ("first_name", "last_name")).strip()
    user = linking.connect(payload, chat_id=chat_id,
                           chat_name=name or str(chat.get("username") or ""))
    if user is None:
        _reply(chat_id, "This link has expired or was already used. Open your profile at "
                        f"{site} and press \u201cConnect Telegram\u201d again.",
               update["update_id"])
        return "refused"
    _reply(chat_id, f"Connected as {display_name(user)} at {site}. Your notifications "
                    "arrive here; disconnect in your profile.", update["update_id"])
    return "connected"


def _reply(chat_id: str, text: str, update_id: int) -> None:
    from marketplace_notify_telegram.tasks import reply

    after_commit(reply.delay, chat_id, text, update_id)


def poll() -> int:
    """Read and handle the updates since the stored offset; how many were read.

    Does nothing (0) unless polling is on (:attr:`TelegramSettings.polling`).
    The offset is stored after the updates were handled, and only moves
    forward, so two polls at once handle an update once (the second skips it
    as seen) and a poll that died is read again.
    """
    if not conf.polling:
        return 0
    state, _ = UpdateOffset.objects.get_or_create(pk=1)
    updates = bot_api.get_updates(api_url=conf.API_URL, token=conf.BOT_TOKEN,
                                  offset=state.offset, timeout=conf.TIMEOUT)
    next_offset = state.offset
    for update in updates:
        try:
            handle_update(update)
        except Exception:
            logger.exception("Telegram update %r could not be handled; skipped.",
                             update.get("update_id"))
        if isinstance(update.get("update_id"), int):
            next_offset = max(next_offset, update["update_id"] + 1)
    with transaction.atomic():
        UpdateOffset.objects.filter(pk=1, offset__lt=next_offset).update(offset=next_offset)
        UpdateOffset.objects.filter(pk=1).update(polled_at=timezone.now())
    return len(updates)
