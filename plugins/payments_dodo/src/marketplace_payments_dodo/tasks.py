"""Background work: syncing products to Dodo, retried while Dodo is unavailable."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from marketplace_core.catalog.models import Product
from marketplace_payments_dodo import discounts, sync
from marketplace_payments_dodo.client import DodoRejected, DodoUnavailable
from marketplace_payments_dodo.provider import DodoProvider

logger = logging.getLogger("payments_dodo")


class _SyncTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        # Retries exhausted (or an unexpected error): the seller sees why.
        product_id = kwargs.get("product_id", args[0] if args else None)
        if product_id is None:
            return
        if isinstance(exc, DodoUnavailable):
            reason = f"Gave up after {self.request.retries} retries: {exc}"
        else:
            reason = f"Sync failed: {exc!r}"
        sync.mark_failed(int(product_id), reason)


#: Syncing to Dodo: on 429 and 5xx (and network errors) back off 5 s, 10 s, 20 s ... up to
#: 10 min, 8 times; acknowledged after running, so a lost worker's sync runs again.
_RETRIED_WHILE_UNAVAILABLE: dict[str, Any] = {
    "autoretry_for": (DodoUnavailable,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(bind=True, base=_SyncTask, name="payments_dodo.sync_product",
             **_RETRIED_WHILE_UNAVAILABLE)
def sync_product(self: Task, product_id: int) -> str | None:
    """Create or update product ``product_id`` at Dodo; returns Dodo's product id.

    Idempotent: a product Dodo already has as it is now is not sent again. A
    refusal (4xx) is recorded on the product as failed, with Dodo's reason,
    and not retried: sending the same product again would be refused again.
    """
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return None  # deleted since it was saved
    try:
        return DodoProvider().sync_product(product)
    except DodoRejected as exc:
        logger.warning("Dodo refused product %s: %s", product_id, exc)
        return None


@shared_task(name="payments_dodo.sync_discount", **_RETRIED_WHILE_UNAVAILABLE)
def sync_discount(code_id: int) -> str | None:
    """Create, update or delete discount code ``code_id``'s copy at Dodo; returns
    Dodo's discount id (``None`` when Dodo holds none, or refused it).

    Idempotent (:func:`marketplace_payments_dodo.discounts.sync_discount`); a
    refusal is kept on the plugin's row and not retried; checkout tries again.
    """
    try:
        link = discounts.sync_discount(code_id)
    except DodoRejected:
        return None
    if link is None or not link.dodo_discount_id:
        return None
    return link.dodo_discount_id
