"""The support plugin's outbound webhook event: ``support.created`` to the seller.

Sent through core's :func:`marketplace_core.outbound.services.emit` inside the
transaction that opens the request (nothing is sent if it rolls back); the
payload is documented in docs/webhooks-outbound.md and docs/support.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop as N_

from marketplace_core.outbound.services import emit
from marketplace_core.people.users import email_of
from marketplace_core.plugins.types import WebhookEventType

if TYPE_CHECKING:
    from marketplace_support.models import SupportRequest

SUPPORT_CREATED = "support.created"

EVENTS = [WebhookEventType(SUPPORT_CREATED,
                           N_("A buyer opened a support request about one of your products."))]


def support_created_data(support_request: SupportRequest) -> dict[str, Any]:
    """The payload of ``support.created``."""
    purchase = support_request.purchase
    product = purchase.product
    return {
        "support_request": {
            "id": support_request.pk,
            "subject": support_request.subject,
            "message": support_request.message,
            "status": support_request.status,
            "created_at": support_request.created_at.isoformat(),
            "buyer_email": email_of(purchase.buyer),
            "order_reference": str(purchase.order.reference),
            "product": {"id": product.pk, "slug": product.slug, "title": product.title},
        },
    }


def emit_support_created(support_request: SupportRequest) -> None:
    """Queue ``support.created`` for the seller's endpoints (in the current transaction)."""
    emit(support_request.purchase.product.seller_id, SUPPORT_CREATED,
         lambda: support_created_data(support_request),
         key=f"{SUPPORT_CREATED}:{support_request.pk}")
