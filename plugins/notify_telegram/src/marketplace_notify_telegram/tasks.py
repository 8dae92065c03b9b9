"""Celery tasks of the Telegram plugin: polling for updates, answering in a chat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from marketplace_notify_telegram import bot_api
from marketplace_notify_telegram.conf import NAME, conf

logger = logging.getLogger(NAME)

#: How long a sent reply is remembered (a redelivered task sends nothing).
REPLY_TTL = 2 * 24 * 3600


@shared_task(name="notify_telegram.poll_updates", acks_late=True)
def poll_updates() -> int:
    """Read the bot's new updates with ``getUpdates`` (periodic; see
    :func:`marketplace_notify_telegram.updates.poll`). Telegram's refusals are
    logged: the next run tries again."""
    from marketplace_notify_telegram.updates import poll

    try:
        return poll()
    except bot_api.BotAPIError as exc:
        hint = (" (a webhook is set: remove it with `manage.py telegram_webhook delete`, "
                "or set WEBHOOK_SECRET)") if exc.status == 409 else ""
        logger.warning("Telegram getUpdates failed: %s%s", exc, hint)
        return 0


@shared_task(name="notify_telegram.reply", acks_late=True)
def reply(chat_id: str, text: str, update_id: int) -> bool:
    """Answer update ``update_id`` in ``chat_id`` with plain ``text``, once (a
    redelivered task sends nothing); whether it was sent. A refusal or an
    outage is logged, not retried: the person can press Start again."""
    key = f"{NAME}:reply:{update_id}"
    if not cache.add(key, True, REPLY_TTL):
        return False
    try:
        bot_api.send_message(api_url=conf.API_URL, token=conf.BOT_TOKEN, chat_id=chat_id,
                             text=text, parse_mode=None, timeout=conf.TIMEOUT)
    except bot_api.BotAPIError as exc:
        cache.delete(key)
        logger.warning("Could not answer in Telegram chat %s: %s", chat_id, exc)
        return False
    return True
