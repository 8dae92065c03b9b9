"""Keeping Dodo's product catalog in step with the shop's products.

A buyer can only pay for a product Dodo knows, at the price core expects.
So every product gets a :class:`~marketplace_payments_dodo.models.DodoProduct`
row: created at Dodo (``POST /products``) the first time, updated
(``PATCH /products/{id}``) when its name, description or price changed. That
happens in a Celery task when a seller saves a published product (see
:mod:`marketplace_payments_dodo.tasks`), and right away at checkout when the
product is missing or stale, so a buyer never pays an old price.

For seller pages, :func:`sync_status` (one product) and :func:`sync_statuses`
(a list page, one query) tell the sync state without calling Dodo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TypeGuard

from django.db import transaction
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_payments_dodo import client
from marketplace_payments_dodo.client import DodoError, DodoRejected, ProductSpec
from marketplace_payments_dodo.models import DodoProduct

logger = logging.getLogger("payments_dodo")

#: Dodo rejects longer product descriptions.
MAX_DESCRIPTION = 1000

State = DodoProduct.State


def product_spec(product: Product) -> ProductSpec:
    """What Dodo should hold for ``product``."""
    return ProductSpec(
        name=product.title,
        description=(product.description or "")[:MAX_DESCRIPTION],
        price=product.price,
        currency=product.currency.upper(),
        metadata={client.PRODUCT_KEY: str(product.pk)},
    )


def fingerprint(spec: ProductSpec) -> str:
    return hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode()).hexdigest()


def _is_current(link: DodoProduct | None, product: Product) -> TypeGuard[DodoProduct]:
    return bool(
        link is not None
        and link.dodo_product_id
        and link.state == State.SYNCED
        and link.fingerprint == fingerprint(product_spec(product))
    )


def is_current(product: Product) -> bool:
    """Whether Dodo already has ``product`` as it is now."""
    return _is_current(DodoProduct.objects.filter(product=product).first(), product)


def sync_product(product: Product) -> DodoProduct:
    """Create or update ``product`` at Dodo now and record the outcome.

    Concurrent calls for one product are serialized on its row (so a product is
    created at Dodo once); a call that finds the product already current does
    nothing. On failure the row keeps the reason and the error is raised:
    :class:`~marketplace_payments_dodo.client.DodoRejected` marks the row
    failed, :class:`~marketplace_payments_dodo.client.DodoUnavailable` leaves
    it pending for a retry.
    """
    spec = product_spec(product)
    print_ = fingerprint(spec)
    error: DodoError | None = None
    with transaction.atomic():
        link, _ = DodoProduct.objects.select_for_update().get_or_create(product=product)
        if _is_current(link, product):
            return link
        link.attempts += 1
        try:
            link.dodo_product_id = _push(link.dodo_product_id, spec)
        except DodoError as exc:
            error = exc
        if error is None:
            link.state, link.fingerprint, link.last_error = State.SYNCED, print_, ""
            link.synced_at, link.attempts = timezone.now(), 0
        else:
            link.state = State.FAILED if isinstance(error, DodoRejected) else State.PENDING
            link.last_error = str(error)[:2000]
        link.save()
    if error is not None:
        logger.warning("Dodo sync of product %s failed: %s", product.pk, error)
        raise error
    logger.info("Product %s synced to Dodo as %s", product.pk, link.dodo_product_id)
    return link


def _push(dodo_product_id: str, spec: ProductSpec) -> str:
    if dodo_product_id:
        try:
            client.update_product(dodo_product_id, spec)
            return dodo_product_id
        except DodoRejected as exc:
            if exc.status != 404:
                raise
            # Deleted at Dodo (by hand, in the dashboard): create it again.
            logger.warning("Dodo product %s is gone; creating a new one", dodo_product_id)
    return client.create_product(spec)


def dodo_product_id(product_id: int) -> str:
    """Dodo's id of core product ``product_id`` (``""`` when it was never created there).

    Stable once created (a sync updates the product in place), so it names the
    item of every Dodo payment for the product.
    """
    found = DodoProduct.objects.filter(product_id=product_id).values_list(
        "dodo_product_id", flat=True).first()
    return found or ""


def ensure_synced(product: Product) -> str:
    """Dodo's product id for ``product``, syncing it first if it is missing or stale.

    Raises :class:`~marketplace_payments_dodo.client.DodoError` when it cannot.
    """
    link = DodoProduct.objects.filter(product=product).first()
    if _is_current(link, product):
        return link.dodo_product_id
    return sync_product(product).dodo_product_id


def mark_pending(product: Product) -> None:
    """Note that a sync of ``product`` is on its way (shown to the seller)."""
    link, created = DodoProduct.objects.get_or_create(product=product)
    if not created and link.state != State.PENDING:
        DodoProduct.objects.filter(pk=link.pk).update(state=State.PENDING,
                                                      updated_at=timezone.now())


def mark_failed(product_id: int, reason: str) -> None:
    """Give up on syncing product ``product_id`` for now (retries exhausted)."""
    DodoProduct.objects.filter(product_id=product_id).exclude(state=State.SYNCED).update(
        state=State.FAILED, last_error=reason[:2000], updated_at=timezone.now()
    )


# -------------------------------------------------------------------------
# reading the state, for seller pages
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStatus:
    """A product's sync state as a seller page shows it.

    ``state`` is ``"not_synced"`` (never tried: a draft, or saved before the
    plugin was enabled), ``"pending"``, ``"synced"``, ``"failed"`` or
    ``"outdated"`` (synced, but the product changed since and no sync is queued).
    """

    state: str
    label: str
    dodo_product_id: str = ""
    last_error: str = ""
    synced_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.state == "synced"


_LABELS = {
    "not_synced": "Not at Dodo yet",
    "pending": "Syncing to Dodo…",
    "synced": "Synced to Dodo",
    "failed": "Dodo sync failed",
    "outdated": "Changed since the last Dodo sync",
}


def _status(link: DodoProduct | None, product: Product) -> SyncStatus:
    if link is None:
        state = "not_synced"
    elif link.state == State.SYNCED and not _is_current(link, product):
        state = "outdated"
    else:
        state = str(link.state)
    return SyncStatus(
        state=state,
        label=_LABELS[state],
        dodo_product_id=link.dodo_product_id if link else "",
        last_error=link.last_error if link else "",
        synced_at=link.synced_at if link else None,
    )


def sync_status(product: Product) -> SyncStatus:
    """The sync state of ``product`` (one query, no call to Dodo)."""
    return _status(DodoProduct.objects.filter(product=product).first(), product)


def sync_statuses(products: Iterable[Product]) -> dict[int, SyncStatus]:
    """The sync state of each of ``products``, by product id, in one query."""
    products = list(products)
    links = {link.product_id: link
             for link in DodoProduct.objects.filter(product__in=[p.pk for p in products])}
    return {p.pk: _status(links.get(p.pk), p) for p in products}
