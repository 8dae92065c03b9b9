"""What the plugin says about each event, as core ``Notification`` values.

The support plugin is never imported: its request arrives as a hook argument
and is read through :class:`SupportRequestLike`, the attributes the support
plugin documents for listeners (its seller notes are never read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf as core_conf
from marketplace_core.notifications.channels import Notification
from marketplace_core.people.names import display_name
from marketplace_core.people.users import email_of

if TYPE_CHECKING:
    from marketplace_core.ownership.models import PurchasedProduct

MESSAGE_EXCERPT = 500


class SupportRequestLike(Protocol):
    """What this plugin reads from a ``marketplace_support`` request."""

    pk: Any
    subject: str
    message: str
    status: str

    def get_status_display(self) -> str: ...
    def get_seller_url(self) -> str: ...

    @property
    def product(self) -> Any: ...
    @property
    def buyer(self) -> Any: ...


def _link(path: str) -> str:
    """An absolute link when the site's address is known (``MARKETPLACE["SITE_URL"]``)."""
    return absolute_url(core_conf.SITE_URL, path) if core_conf.SITE_URL and path else ""


def _person(user: Any) -> str:
    name, email = display_name(user), email_of(user)
    return f"{name} <{email}>" if email and name != email else (email or name)


def new_purchase(purchase: PurchasedProduct) -> Notification:
    product, order = purchase.product, purchase.order
    return Notification(
        event="ownership_granted",
        title=f"New purchase: {product.title}",
        body=f"{_person(purchase.buyer)} bought it for {order.amount_display}.",
        url=_link(product.get_absolute_url()),
        data={"id": f"purchase:{purchase.pk}"},
    )


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_EXCERPT else text[:MESSAGE_EXCERPT].rstrip() + "…"


def support_request_created(support_request: SupportRequestLike) -> Notification:
    return Notification(
        event="support_request_created",
        title=f"New support request: {support_request.subject}",
        body=(f"{support_request.product.title}\nfrom {_person(support_request.buyer)}\n\n"
              f"{_excerpt(support_request.message)}"),
        url=_link(support_request.get_seller_url()),
        data={"id": f"support_request:{support_request.pk}:created"},
    )


def support_request_status_changed(support_request: SupportRequestLike,
                                   old_status: str) -> Notification:
    new = support_request.get_status_display()
    old = old_status.replace("_", " ").capitalize()
    return Notification(
        event="support_request_status_changed",
        title=f"Support request {new.lower()}: {support_request.subject}",
        body=(f"{support_request.product.title}\nfrom {_person(support_request.buyer)}\n\n"
              f"{old} → {new}"),
        url=_link(support_request.get_seller_url()),
        data={"id": f"support_request:{support_request.pk}:{support_request.status}"},
    )
