"""Which Dodo payment an order's invoice belongs to: one rule for the link and the download.

The order history calls :meth:`DodoProvider.receipt_url` once per listed
order, with ``order.payments`` prefetched: :func:`invoice_payment_id` reads
only that, so the link costs no query and no call to Dodo. The download view
(:class:`marketplace_payments_dodo.views.InvoiceDownloadView`) applies the
same rule before it asks Dodo for the PDF.
"""

from __future__ import annotations

from django.urls import reverse

from marketplace_core.ownership.models import Order, Payment

#: The provider identifier (``DodoProvider.identifier``), repeated to avoid an import cycle.
PROVIDER = "dodo"


def invoice_payment_id(order: Order) -> str | None:
    """The Dodo payment id whose invoice is ``order``'s, or ``None``.

    Only a paid Dodo order has one: its successful, unflagged Dodo payment (the
    newest, should there be several: the one the order history shows as the
    order's reference). Reads ``order.payments.all()``, which
    callers prefetch (no query then).
    """
    if order.provider != PROVIDER or order.status != Order.Status.PAID:
        return None
    candidates = [
        p for p in order.payments.all()
        if p.provider == PROVIDER and p.status == Payment.Status.SUCCEEDED and not p.flag
        and p.provider_payment_id
    ]
    if not candidates:
        return None
    newest = max(candidates, key=lambda p: (p.created_at, p.pk))
    return newest.provider_payment_id


def invoice_url(order: Order) -> str | None:
    """The plugin's download URL for ``order``'s invoice, or ``None`` when it has none."""
    if invoice_payment_id(order) is None:
        return None
    return reverse("payments_dodo:invoice", kwargs={"reference": order.reference})
