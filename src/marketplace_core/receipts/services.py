"""Queue buyer emails once the change they report has committed."""

from __future__ import annotations

from marketplace_core.ownership.models import Order
from marketplace_core.receipts.tasks import (
    send_partial_refund_notice,
    send_receipt,
    send_refund_notice,
)
from marketplace_core.transactions import after_commit


def queue_receipt(order: Order, *, again: bool = False) -> None:
    """Send ``order``'s receipt after commit (once per order unless ``again``)."""
    after_commit(send_receipt.delay, order.pk, again)


def queue_refund_notice(order: Order) -> None:
    """Tell ``order``'s buyer after commit that it was refunded (once per order)."""
    after_commit(send_refund_notice.delay, order.pk)


def queue_partial_refund_notice(refund_id: int) -> None:
    """Tell the buyer after commit that part of their order was refunded (once per refund)."""
    after_commit(send_partial_refund_notice.delay, refund_id)
