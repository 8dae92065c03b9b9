"""Core's email channel: notifications addressed to a person, by email.

It takes only notifications with a ``recipient_id`` whose user has an email
address and has not switched the event off for email
(:mod:`~marketplace_core.notifications.preferences`); the operators' site-wide
notifications are left to the plugins' channels. The email is plain text plus
HTML (``marketplace_core/emails/notification*``; override them in a site),
sent through Django's mail by core's ``send_notification`` task, so after the
change commits and never inside a request with a broker.

Sent once per ``(notification id, recipient)`` even when the task runs twice:
the cache claim of core's task guards against two tasks at once, and
:func:`~marketplace_core.accounts.sent_emails.send_once` records the sent email
in the database, so a redelivery days later (or with the cache cleared) sends
nothing. SMTP errors are ordinary exceptions: core's task retries them with
backoff.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse

from marketplace_core.accounts.emails import absolute_url, send_account_email
from marketplace_core.accounts.sent_emails import send_once
from marketplace_core.conf import conf
from marketplace_core.notifications.channels import Notification, NotificationChannel
from marketplace_core.notifications.preferences import EMAIL, wants
from marketplace_core.people.names import display_name
from marketplace_core.people.users import email_of

#: Marks notification emails as sent by a program (RFC 3834): auto-responders stay quiet.
HEADERS = {"Auto-Submitted": "auto-generated"}


def sent_email_key(notification: Notification) -> str | None:
    """The :func:`send_once` key of ``notification``'s email (``None`` without an id)."""
    if not notification.id:
        return None
    return f"notification:{notification.id}:to:{notification.recipient_id}"


class EmailChannel(NotificationChannel):
    """Emails a notification to the user ``recipient_id`` (see the module docstring)."""

    identifier = EMAIL
    verbose_name = "Email"
    reaches_people = True

    def accepts(self, notification: Notification) -> bool:
        return bool(notification.recipient_id) and wants(
            notification.recipient_id, notification.event, EMAIL)

    def send(self, notification: Notification) -> None:
        """Email the recipient now; nothing when they have no address, switched the
        event off since it was queued, or were emailed this notification before."""
        user = _user(notification.recipient_id)
        address = email_of(user) if user is not None else ""
        if user is None or not address or not wants(user.pk, notification.event, EMAIL):
            return
        base_url = conf.SITE_URL.rstrip("/")
        context: dict[str, Any] = {
            "notification": notification,
            "name": display_name(user),
            "base_url": base_url,
            "profile_url": (absolute_url(base_url, reverse("marketplace:seller_profile"))
                            if base_url else ""),
        }
        send_once(sent_email_key(notification),
                  lambda: send_account_email("notification", address, context,
                                             headers=HEADERS))


def _user(recipient_id: str) -> Any:
    model = get_user_model()
    try:
        return model._default_manager.filter(pk=recipient_id).first()
    except (ValueError, TypeError):
        return None
