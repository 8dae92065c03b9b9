"""Celery tasks that email buyers about their orders: receipts and refund notices.

Each is queued after the change it reports has committed (:mod:`.services`)
and reads the order again when it runs. The first receipt of an order and its
refund notice are keyed by the order (``receipt:<reference>``,
``refund-notice:<reference>``), a partial refund's notice by the refund
(``partial-refund-notice:<refund id>``), through
:func:`~marketplace_core.accounts.sent_emails.send_once`: however many times
they are queued or delivered (a webhook retried, a task redelivered, fifty
confirmations at once), the buyer gets one. A receipt the buyer asks for again
is keyed by its task, so each request sends one.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task
from django.urls import reverse

from marketplace_core.accounts.emails import absolute_url, send_account_email
from marketplace_core.accounts.sent_emails import send_once, task_key
from marketplace_core.conf import conf
from marketplace_core.guests.identities import is_guest
from marketplace_core.guests.links import login_state
from marketplace_core.money import format_money
from marketplace_core.ownership.models import Order
from marketplace_core.panels.billing import receipt_url
from marketplace_core.plugins.manager import call_each
from marketplace_core.plugins.types import ReceiptLine
from marketplace_core.receipts.links import lifetime_text, link_path

logger = logging.getLogger("marketplace_core.receipts")

_RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError)

#: Marks buyer emails as sent by a program (RFC 3834): auto-responders stay quiet.
HEADERS = {"Auto-Submitted": "auto-generated"}


def recipient(order: Order) -> str:
    """Where emails about ``order`` go: the address given at checkout, else the buyer's."""
    from marketplace_core.people.users import email_of

    return str(order.billing.get("email") or "") or email_of(order.buyer)


def _order(order_id: int) -> Order | None:
    return (Order.objects.select_related("product", "buyer").prefetch_related("payments")
            .filter(pk=order_id).first())


def _guest_login(order: Order) -> str:
    """A guest buyer's login state for the link (none for a full account)."""
    return login_state(order.buyer) if is_guest(order.buyer) else ""


def receipt_lines(order: Order) -> list[ReceiptLine]:
    """Plugins' ``receipt_lines`` for ``order``, sorted; a failing plugin is left out
    (the receipt goes without its lines rather than not at all)."""
    answers = call_each("receipt_lines", {"order": order}, logger=logger,
                        failing="to give receipt lines")
    found = [line for lines in answers.result if isinstance(lines, list | tuple)
             for line in lines if isinstance(line, ReceiptLine)]
    return sorted(found, key=lambda line: (line.order, line.label))


def _context(order: Order) -> dict[str, Any] | None:
    base_url = conf.SITE_URL or order.site_url
    if not base_url:
        logger.error("No address for links in emails about %s: set MARKETPLACE['SITE_URL']",
                     order)
        return None
    return {
        "order": order,
        "product": order.product,
        "amount": format_money(order.amount, order.currency, language=order.language or None),
        "base_url": base_url,
        "link": absolute_url(base_url, link_path(order.reference, _guest_login(order))),
        "guest": is_guest(order.buyer),
        "purchases_link": absolute_url(base_url, reverse("marketplace:guest_purchases")),
        "link_lifetime": lifetime_text(),
        "invoice_url": receipt_url(order),
    }


def _send(name: str, order: Order, context: dict[str, Any]) -> None:
    send_account_email(name, recipient(order), context, headers=HEADERS,
                       language=order.language or None)


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_receipt(self, order_id: int, again: bool = False) -> bool:  # type: ignore[no-untyped-def]
    """Email the receipt of paid order ``order_id``; ``False`` when nothing was sent.

    The first receipt is sent once per order, whoever queues it how often;
    ``again`` (the buyer asked for it) sends one per task.
    """
    order = _order(order_id)
    if order is None or order.paid_at is None or not recipient(order):
        return False
    context = _context(order)
    if context is None:
        return False
    context["extra_lines"] = receipt_lines(order)
    key = task_key(self.name, self.request.id) if again else f"receipt:{order.reference}"
    return send_once(key, lambda: _send("receipt", order, context))


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_refund_notice(self, order_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Tell the buyer of refunded order ``order_id`` that the money is back and
    access has ended; once per order."""
    order = _order(order_id)
    if order is None or order.status != Order.Status.REFUNDED or not recipient(order):
        return False
    context = _context(order)
    if context is None:
        return False
    return send_once(f"refund-notice:{order.reference}",
                     lambda: _send("refund_notice", order, context))


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_partial_refund_notice(self, refund_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Tell the buyer that part of their order was refunded and their access stays;
    once per refund. Nothing when the order has been refunded in full since (its
    refund notice says it all)."""
    from marketplace_core.ownership.models import Refund

    refund = Refund.objects.filter(pk=refund_id).first()
    order = _order(refund.order_id) if refund is not None and refund.order_id else None
    if refund is None or order is None or order.status != Order.Status.PAID \
            or not recipient(order):
        return False
    context = _context(order)
    if context is None:
        return False
    language = order.language or None
    context["refunded"] = format_money(refund.amount, refund.currency, language=language)
    return send_once(f"partial-refund-notice:{refund.pk}",
                     lambda: _send("partial_refund_notice", order, context))
