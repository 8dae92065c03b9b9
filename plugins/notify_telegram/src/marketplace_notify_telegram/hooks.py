"""Hook implementations of the Telegram notifications plugin.

Sellers' own chats: ``register_urlpatterns`` (connect, disconnect, the
webhook), ``register_periodic_tasks`` (``getUpdates`` polling without a
webhook) and ``profile_sections`` (the "Connect Telegram" button).

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
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver

    from marketplace_core.notifications.channels import Notification, NotificationChannel
    from marketplace_core.ownership.models import PurchasedProduct
    from marketplace_core.plugins.types import NavArea, PeriodicTask, ProfileSection
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
def register_urlpatterns() -> list[URLPattern | URLResolver]:
    from marketplace_notify_telegram.urls import urlpatterns

    return list(urlpatterns)


@hookimpl
def register_periodic_tasks() -> list[PeriodicTask]:
    """Poll ``getUpdates`` while sellers can connect chats and no webhook is set
    (read when the Celery app configures itself)."""
    from marketplace_core.plugins.types import PeriodicTask
    from marketplace_notify_telegram.conf import conf

    if not conf.polling:
        return []
    return [PeriodicTask(name="notify_telegram.poll_updates", task="notify_telegram.poll_updates",
                         every_seconds=conf.POLL_EVERY)]


@hookimpl
def profile_sections(request: HttpRequest, area: NavArea) -> list[ProfileSection]:
    """"Connect Telegram" (or "Disconnect") on a seller's profile page, while sellers
    can connect chats (``BOT_TOKEN`` and ``BOT_USERNAME`` set)."""
    from django.template.loader import render_to_string

    from marketplace_core.plugins.types import ProfileSection
    from marketplace_notify_telegram.conf import conf
    from marketplace_notify_telegram.linking import chat_of

    if area != "seller" or not conf.personal_chats:
        return []
    html = render_to_string("notify_telegram/profile_section.html", {
        "chat": chat_of(request.user.pk), "bot_username": conf.BOT_USERNAME,
        "minutes": max(1, round(conf.CONNECT_TTL / 60)),
    }, request=request)
    return [ProfileSection(key="telegram", title="Telegram", html=html, order=100)]


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_notify_telegram.checks import check_settings

    return check_settings()
