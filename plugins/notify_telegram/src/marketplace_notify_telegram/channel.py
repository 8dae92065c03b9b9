"""The Telegram notification channel (core's ``NotificationChannel`` contract)."""

from __future__ import annotations

from marketplace_core.notifications.channels import Notification, NotificationChannel
from marketplace_notify_telegram import bot_api
from marketplace_notify_telegram.conf import conf
from marketplace_notify_telegram.formatting import PARSE_MODE, render


class TelegramChannel(NotificationChannel):
    """Posts each notification to the configured chat (and forum topic, if set).

    ``send`` talks to Telegram synchronously and raises a
    :class:`~marketplace_notify_telegram.bot_api.BotAPIError` when the message
    was not accepted; call it from a background task, never in a request
    (:func:`marketplace_notify_telegram.tasks.send_notification` does).
    """

    identifier = "telegram"
    verbose_name = "Telegram"

    def send(self, notification: Notification) -> None:
        bot_api.send_message(
            api_url=conf.API_URL, token=conf.BOT_TOKEN, chat_id=conf.CHAT_ID,
            text=render(notification), parse_mode=PARSE_MODE, thread_id=conf.THREAD_ID,
            timeout=conf.TIMEOUT,
        )
