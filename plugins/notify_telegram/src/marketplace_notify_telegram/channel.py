"""The Telegram notification channel (core's ``NotificationChannel`` contract).

Core's task (``marketplace_core.notifications.tasks.send_notification``) calls
:meth:`TelegramChannel.send` in a worker and acts on what it raises:

- 429 Too Many Requests → :class:`~marketplace_core.notifications.channels.RetryLater`
  with Telegram's ``retry_after``: sent again once it has passed;
- 5xx, timeouts, refused connections → :class:`~.bot_api.Unavailable`, which
  core retries after ``RETRY_BACKOFF * 2**n`` seconds (at most ``RETRY_BACKOFF_MAX``);
- any other refusal (400, 401, 403, 404) →
  :class:`~marketplace_core.notifications.channels.PermanentFailure` with
  Telegram's reason and a hint: logged, not retried (it would be refused again).

Both kinds of retry count against ``MAX_RETRIES``. Core logs under
``notify_telegram``, the plugin's name.

A notification for the operators (no ``recipient_id``) goes to ``CHAT_ID``; one
for a person goes to the chat they connected (:mod:`.linking`), unless they
switched that event off for Telegram in their profile. When Telegram says that
chat is gone for good (403: the person blocked the bot; 400: chat not found),
the chat is disconnected and the notification dropped, not retried.
"""

from __future__ import annotations

from marketplace_core.notifications.channels import (
    Notification,
    NotificationChannel,
    PermanentFailure,
    RetryLater,
    RetryPolicy,
)
from marketplace_core.notifications.preferences import wants
from marketplace_notify_telegram import bot_api, linking
from marketplace_notify_telegram.conf import NAME, conf
from marketplace_notify_telegram.formatting import PARSE_MODE, render


class TelegramChannel(NotificationChannel):
    """Posts the operators' notifications to the configured chat (and forum topic,
    if set), and a person's to the chat they connected.

    ``send`` talks to Telegram synchronously; call it from a background task,
    never in a request (core's ``notify()`` queues one). It accepts the
    operators' notifications only while ``BOT_TOKEN`` and ``CHAT_ID`` are set
    (every send would fail otherwise; ``manage.py check`` says why), and a
    person's while ``BOT_TOKEN`` is set, they connected a chat and did not
    switch the event off.
    """

    identifier = "telegram"
    verbose_name = "Telegram"
    logger_name = NAME
    reaches_people = True

    def accepts(self, notification: Notification) -> bool:
        if not conf.BOT_TOKEN:
            return False
        if not notification.recipient_id:
            return bool(conf.CHAT_ID)
        return (wants(notification.recipient_id, notification.event, self.identifier)
                and linking.chat_of(notification.recipient_id) is not None)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=conf.MAX_RETRIES, backoff=conf.RETRY_BACKOFF,
                           backoff_max=conf.RETRY_BACKOFF_MAX)

    def send(self, notification: Notification) -> None:
        """Post ``notification`` as Telegram HTML; raises as the module docstring says.

        A person's notification is not sent when they disconnected (or switched
        it off) since it was queued.
        """
        chat_id, thread_id = conf.CHAT_ID, conf.THREAD_ID
        recipient = notification.recipient_id
        if recipient:
            chat = linking.chat_of(recipient)
            if chat is None or not wants(recipient, notification.event, self.identifier):
                return
            chat_id, thread_id = chat.chat_id, None
        try:
            bot_api.send_message(
                api_url=conf.API_URL, token=conf.BOT_TOKEN, chat_id=chat_id,
                text=render(notification), parse_mode=PARSE_MODE, thread_id=thread_id,
                timeout=conf.TIMEOUT,
            )
        except bot_api.RetryAfter as exc:
            raise RetryLater(exc.retry_after, reason=str(exc)) from exc
        except bot_api.Rejected as exc:
            if recipient and bot_api.is_blocked(exc):
                linking.forget_chat(recipient, chat_id)
                raise PermanentFailure(
                    f"{exc.description} (user {recipient}'s chat was disconnected)",
                    code=f"HTTP {exc.status}") from exc
            raise PermanentFailure(exc.description + hint(exc),
                                   code=f"HTTP {exc.status}") from exc


def hint(exc: bot_api.BotAPIError) -> str:
    """What the site owner can do about a refusal (``""`` when nothing specific)."""
    migrated = exc.parameters.get("migrate_to_chat_id")
    if migrated:
        return f" (the group became a supergroup: set CHAT_ID to {migrated})"
    if exc.status == 401:
        return " (check BOT_TOKEN)"
    if exc.status == 403:
        return " (add the bot to the chat, or unblock it)"
    return ""
