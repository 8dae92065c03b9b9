"""Telling the seller about a new support request, through core's notifications.

:func:`notify_seller` hands core's ``notify()`` a notification addressed to the
product's seller (``recipient_id``); core queues it after commit for each
channel that reaches them and that they have not switched off in their profile
(email by default, Telegram once connected). Its id,
``support_request:<pk>:created``, is per request, so the seller hears once.
The buyer's message is shortened; the seller reads it whole in their panel.
"""

from __future__ import annotations

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf as core_conf
from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.services import notify
from marketplace_core.people.names import display_name
from marketplace_support.models import SupportRequest

#: ``Notification.event``: the switch "New support request" in the seller's profile.
EVENT = "support_request_created"
EXCERPT = 500


def new_request_notice(support_request: SupportRequest) -> Notification:
    """The seller's notification about ``support_request`` (just opened)."""
    product = support_request.product
    message = support_request.message.strip()
    if len(message) > EXCERPT:
        message = message[:EXCERPT].rstrip() + "…"
    path = support_request.get_seller_url()
    return Notification(
        event=EVENT,
        title=f"New support request: {support_request.subject}",
        body=f"{display_name(support_request.buyer)} asks about {product.title}:\n\n{message}",
        url=absolute_url(core_conf.SITE_URL, path) if core_conf.SITE_URL else "",
        data={"id": f"support_request:{support_request.pk}:created"},
        recipient_id=str(product.seller_id),
    )


def notify_seller(support_request: SupportRequest) -> None:
    """Tell the seller of ``support_request``'s product, after the transaction commits."""
    notify(new_request_notice(support_request))
