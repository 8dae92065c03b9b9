"""Hook implementations of the Telegram notifications plugin.

The support hooks are optional (``optionalhook=True``): they are called when the
support plugin is enabled, and the plugin loads and works without it. Every
event builds a core ``Notification`` and hands it to core's ``notify()``, which
queues one Celery task per channel after commit (the Telegram channel accepts
it only while ``BOT_TOKEN`` and ``CHAT_ID`` are set); nothing talks to Telegram
during a request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace_core import hookimpl

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from marketplace_core.notifications.channels import Notification, NotificationChannel
    from marketplace_core.ownership.models import PurchasedProduct
    from marketplace_notify_telegram.messages import SupportRequestLike


def _queue(notification: Notification) -> None:
    from marketplace_core.notifications.services import notify

    notify(notification)


@hookimpl
def register_notification_channels() -> list[type[NotificationChannel]]:
    from marketplace_notify_telegram.channel import TelegramChannel

    return [TelegramChannel]


@hookimpl
def ownership_granted(purchase: PurchasedProduct) -> None:
    from marketplace_notify_telegram import messages

    _queue(messages.new_purchase(purchase))


@hookimpl(optionalhook=True)
def support_request_created(support_request: SupportRequestLike) -> None:
    from marketplace_notify_telegram import messages

    _queue(messages.support_request_created(support_request))


@hookimpl(optionalhook=True)
def support_request_status_changed(support_request: SupportRequestLike, old_status: str) -> None:
    from marketplace_notify_telegram import messages

    _queue(messages.support_request_status_changed(support_request, old_status))


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_notify_telegram.checks import check_settings

    return check_settings()
