"""Notification channels: where staff and sellers hear about events (Telegram, ...).

A channel turns a :class:`Notification` into a message on some service. Core
calls :meth:`NotificationChannel.send` from background tasks, never inside a
request, so a slow or failing service cannot slow down a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Notification:
    """A short, plain-text message about something that happened."""

    #: Machine-readable event name such as ``"support_request_created"``.
    event: str
    title: str
    body: str = ""
    url: str = ""
    data: dict[str, str] = field(default_factory=dict)


class NotificationChannel:
    """Base class of notification channels.

    ``send`` must either deliver the message or raise; it may be retried, so a
    channel that can de-duplicate should use ``notification.data["id"]``.
    """

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]

    def send(self, notification: Notification) -> None:
        raise NotImplementedError
