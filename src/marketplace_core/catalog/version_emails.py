"""Emailing past buyers about a new file version, once each, in batches.

When a seller uploads a new version and ticks "Email past buyers",
:func:`schedule_version_emails` queues :func:`send_version_emails` after the
upload commits. One task emails up to :data:`BATCH_SIZE` buyers (active
owners, in buyer id order, skipping those who unsubscribed from the seller's
updates) and queues the next batch from the last buyer id it handled, so a
product with many thousands of buyers never holds one worker for long.

Each email is sent once per ``(version, buyer)`` through core's
:func:`~marketplace_core.accounts.sent_emails.send_once`, keyed
``version-email:<version id>:<buyer id>``: the key's row is inserted in the
transaction that sends it, so a second run, or a concurrent one, skips that
buyer, and a send that fails leaves no row so the retry sends. A task run
twice therefore emails nobody twice, and a worker that dies mid-batch leaves
the rest for the redelivery.

The unsubscribe link is signed (no login needed), names the buyer and the
seller, and never expires; :func:`unsubscribe` records a
:class:`VersionEmailOptOut`, honoured by every later batch.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task
from django.core import signing
from django.urls import reverse

from marketplace_core.accounts.emails import absolute_url, send_account_email
from marketplace_core.accounts.sent_emails import send_once
from marketplace_core.catalog.models import ProductFileVersion, VersionEmailOptOut
from marketplace_core.conf import conf
from marketplace_core.guests.identities import is_guest
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.people.names import display_name
from marketplace_core.people.records import person_related
from marketplace_core.people.users import email_of

logger = logging.getLogger("marketplace_core.catalog")

#: Buyers emailed by one task before it queues the next batch.
BATCH_SIZE = 200
TASK_NAME = "marketplace_core.catalog.send_version_emails"
UNSUBSCRIBE_SALT = "marketplace_core.version_emails.unsubscribe"
_RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError)
#: Marks the emails as sent by a program (RFC 3834) and offers one-click unsubscribe.
HEADERS = {"Auto-Submitted": "auto-generated"}


def schedule_version_emails(version_id: int) -> None:
    """Queue the first batch for ``version_id`` (call after commit); broker
    errors are logged, not raised (the upload has committed)."""
    try:
        send_version_emails.delay(version_id, 0)
    except Exception:
        logger.exception("Could not queue the emails about file version %s", version_id)


def unsubscribe_token(buyer_id: int, seller_id: int) -> str:
    """The signed token of ``buyer_id``'s unsubscribe link for ``seller_id``'s updates."""
    return signing.dumps({"b": buyer_id, "s": seller_id}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """``(buyer id, seller id)`` of a valid token, ``None`` for a tampered one."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not all(
            isinstance(payload.get(key), int) for key in ("b", "s")):
        return None
    return payload["b"], payload["s"]


def unsubscribe(buyer_id: int, seller_id: int) -> None:
    """Stop emails about ``seller_id``'s new versions to ``buyer_id`` (idempotent)."""
    VersionEmailOptOut.objects.get_or_create(buyer_id=buyer_id, seller_id=seller_id)


def _batch(version: ProductFileVersion, after_buyer_id: int) -> list[PurchasedProduct]:
    seller_id = version.product.seller_id
    opted_out = VersionEmailOptOut.objects.filter(seller_id=seller_id).values("buyer_id")
    return list(
        PurchasedProduct.objects.active()
        .filter(product_id=version.product_id, buyer_id__gt=after_buyer_id)
        .exclude(buyer_id__in=opted_out)
        .select_related(*person_related("buyer"))  # the name and guest flag, no query each
        .order_by("buyer_id")[:BATCH_SIZE]
    )


def _context(version: ProductFileVersion, buyer: Any, base_url: str) -> dict[str, Any]:
    product = version.product
    guest = is_guest(buyer)
    # A guest has no password to log in to the download page with: their link is the
    # page that emails them a sign-in link to their purchases.
    page = (reverse("marketplace:guest_purchases") if guest
            else reverse("marketplace:product_downloads", args=[product.pk]))
    return {
        "version": version,
        "product": product,
        "seller_name": display_name(product.seller),
        "name": display_name(buyer),
        "base_url": base_url,
        "guest": guest,
        "link": absolute_url(base_url, page),
        "unsubscribe_link": absolute_url(base_url, reverse(
            "marketplace:version_emails_unsubscribe",
            args=[unsubscribe_token(buyer.pk, product.seller_id)])),
    }


def email_buyer(version: ProductFileVersion, buyer: Any, base_url: str) -> bool:
    """Email ``buyer`` about ``version`` unless they were emailed about it
    before; whether an email was sent. Raises when sending fails (nothing is
    recorded then)."""
    address = email_of(buyer)
    if not address:
        return False
    context = _context(version, buyer, base_url)
    headers = {**HEADERS, "List-Unsubscribe": f"<{context['unsubscribe_link']}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return send_once(f"version-email:{version.pk}:{buyer.pk}",
                     lambda: send_account_email("version_update", address, context,
                                                headers=headers))


@shared_task(name=TASK_NAME, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_version_emails(version_id: int, after_buyer_id: int = 0) -> int:
    """Email one batch of ``version_id``'s past buyers (ids above
    ``after_buyer_id``) and queue the next; how many were emailed now."""
    version = (ProductFileVersion.objects.select_related("product", "product__seller")
               .filter(pk=version_id).first())
    base_url = conf.SITE_URL.rstrip("/")
    if version is None:
        return 0
    if not base_url:
        logger.error("No address for links in version emails: set MARKETPLACE['SITE_URL']")
        return 0
    batch = _batch(version, after_buyer_id)
    sent = sum(email_buyer(version, purchase.buyer, base_url) for purchase in batch)
    if len(batch) == BATCH_SIZE:
        send_version_emails.delay(version_id, batch[-1].buyer_id)
    return sent
