"""Which notifications a person wants, by event and channel (on unless switched off).

A :class:`NotificationPreference` row exists only for a switch the person
touched: no row means *on*, so a new seller hears about their first sale by
email without setting anything up. Channels that reach people (core's email
channel, a plugin's channel with ``reaches_people = True``) ask
:func:`wants` before queuing a notification with a ``recipient_id``.

The events a person can switch are :data:`SELLER_EVENTS` (shown to sellers
only); an event a plugin sends is listed with that plugin's name and shown only
while it is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The channel identifier of core's email channel.
EMAIL = "email"


@dataclass(frozen=True)
class EventKind:
    """A kind of notification a person can switch off."""

    #: ``Notification.event``.
    event: str
    label: Any
    help_text: Any = ""
    #: The plugin that sends it (``""``: core); listed only while that plugin is enabled.
    plugin: str = ""


#: What sellers hear about. ``sale``: core, once per paid order;
#: ``support_request_created``: the support plugin, once per new request.
SELLER_EVENTS: tuple[EventKind, ...] = (
    EventKind("sale", _("New sale"), _("Someone bought one of your products.")),
    EventKind("support_request_created", _("New support request"),
              _("A buyer asked for help with one of your products."), plugin="support"),
)


class NotificationPreference(models.Model):
    """One switch a person changed: ``event`` through ``channel`` on or off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="marketplace_notification_preferences",
                             verbose_name=_("user"))
    event = models.CharField(_("event"), max_length=64)
    channel = models.CharField(_("channel"), max_length=64)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        app_label = "marketplace_core"
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"],
                                    name="marketplace_one_preference_per_switch"),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.user_id}: {self.event} by {self.channel} {state}"


def wants(user_id: int | str | None, event: str, channel: str) -> bool:
    """Whether the user ``user_id`` wants ``event`` notifications through ``channel``
    (``True`` unless they switched it off; ``False`` for an id that cannot be a
    user's). One query."""
    if not user_id:
        return False
    try:
        return not NotificationPreference.objects.filter(
            user_id=user_id, event=event, channel=channel, enabled=False).exists()
    except (TypeError, ValueError):  # not a primary key of this user model
        return False


def switches(user_id: int | str) -> dict[tuple[str, str], bool]:
    """The switches ``user_id`` changed, by ``(event, channel)`` (one query)."""
    rows = NotificationPreference.objects.filter(user_id=user_id)
    return {(row.event, row.channel): row.enabled for row in rows}


def set_switch(user_id: int | str, event: str, channel: str, enabled: bool) -> None:
    """Turn ``event`` through ``channel`` on or off for ``user_id`` (idempotent)."""
    NotificationPreference.objects.update_or_create(
        user_id=user_id, event=event, channel=channel, defaults={"enabled": enabled})


def seller_events() -> list[EventKind]:
    """:data:`SELLER_EVENTS` whose plugin is enabled (core's always)."""
    from marketplace_core.plugins.manager import enabled_plugins

    enabled = {plugin.name for plugin in enabled_plugins()}
    return [kind for kind in SELLER_EVENTS if not kind.plugin or kind.plugin in enabled]


def personal_channels() -> list[tuple[str, str]]:
    """``(identifier, verbose name)`` of the channels that reach people: email first."""
    from marketplace_core.plugins.registry import notification_channels

    found = [(identifier, str(channel.verbose_name))
             for identifier, channel in notification_channels().items()
             if getattr(channel, "reaches_people", False)]
    return sorted(found, key=lambda item: (item[0] != EMAIL, item[1]))
