"""What core tells a seller: a sale of one of their products.

:func:`notify_sale` is called by the payment service in the transaction that
grants ownership for a paid order. It reads nothing there (a webhook delivery
keeps its query budget): after commit it queues :func:`announce_sale`, a
Celery task that reads the order, its product and buyer, and hands the
notification to core's ``queue_now()`` for every channel that reaches the
seller and that they have not switched off (email by default; a plugin's,
such as Telegram, once they connected it). Its id is ``sale:<order pk>``, so
the seller hears once per order however often the payment is reported or the
task runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from celery import shared_task
from django.urls import reverse

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf
from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.services import queue_now
from marketplace_core.people.names import display_name
from marketplace_core.transactions import after_commit

if TYPE_CHECKING:
    from marketplace_core.ownership.models import Order

#: ``Notification.event`` of a sale (a switch in the seller's profile).
SALE = "sale"


def sale_path(order: Order) -> str:
    """The seller panel's page about sale ``order`` (the link in the notification):
    the sale's own page, where the seller sees the payment and can refund it."""
    return reverse("marketplace:seller_sale_detail", kwargs={"reference": order.reference})


def sale_notification(order: Order) -> Notification:
    """The seller's notification about paid ``order`` (for its product's seller)."""
    product = order.product
    base_url = conf.SITE_URL or order.site_url
    buyer = display_name(order.buyer) or "A buyer"
    return Notification(
        event=SALE,
        title=f"New sale: {product.title}",
        body=f"{buyer} bought {product.title} for {order.amount_display}.",
        url=absolute_url(base_url, sale_path(order)) if base_url else "",
        data={"id": f"sale:{order.pk}", "order": str(order.reference)},
        recipient_id=str(product.seller_id),
    )


def notify_sale(order: Order) -> None:
    """Tell ``order``'s seller about the sale, after the current transaction commits."""
    after_commit(announce_sale.delay, order.pk)


@shared_task(name="marketplace_core.announce_sale", acks_late=True)
def announce_sale(order_id: int) -> list[str]:
    """Queue the sale notification of paid order ``order_id``; the channels queued for.

    Safe to run twice: each channel's task sends a notification id once
    (see :mod:`marketplace_core.notifications.tasks`). An order that is gone
    queues nothing.
    """
    from marketplace_core.ownership.models import Order

    order = (Order.objects.select_related("product", "buyer").filter(pk=order_id).first())
    if order is None:
        return []
    return queue_now(sale_notification(order))
