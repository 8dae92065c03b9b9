"""Keeping Dodo's discounts in step with the sellers' discount codes.

Core checks a code and counts its uses; Dodo must then charge the discounted
amount, so each active code has a Dodo discount with the same value
(``POST /discounts``, ``PATCH /discounts/{id}`` when it changes), deleted at
Dodo (``DELETE /discounts/{id}``) when the code is deactivated or deleted. A
Celery task does it after the seller saves (:func:`sync_discount`, queued by
the ``discount_code_saved`` and ``discount_code_deleted`` hooks); checkout
does it right away when Dodo's copy is missing or stale (:func:`ensure_synced`),
then names Dodo's code in the checkout session.

Dodo generates the code it holds: codes are unique per Dodo business, while
two sellers here may both use ``SAVE10``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone

from marketplace_core.discounts.models import DiscountCode
from marketplace_payments_dodo import client, sync
from marketplace_payments_dodo.client import DiscountSpec, DodoRejected
from marketplace_payments_dodo.models import DodoDiscount

logger = logging.getLogger("payments_dodo")

#: Metadata key carrying the core code's primary key on Dodo discounts.
CODE_KEY = "marketplace_discount_code_id"


def discount_spec(code: DiscountCode) -> DiscountSpec:
    """What Dodo should hold for ``code``; the products it is limited to are
    synced to Dodo first when needed (raises :class:`~.client.DodoError`)."""
    products = sorted(code.products.all(), key=lambda product: product.pk)
    restricted = tuple(sorted(sync.ensure_synced(product) for product in products))
    percentage = code.kind == DiscountCode.Kind.PERCENTAGE
    return DiscountSpec(
        type="percentage" if percentage else "flat",
        amount=(code.percent or 0) * 100 if percentage else code.amount or 0,
        currency="" if percentage else code.currency.upper(),
        restricted_to=restricted,
        usage_limit=code.usage_limit,
        starts_at=code.starts_at.isoformat() if code.starts_at else None,
        expires_at=code.ends_at.isoformat() if code.ends_at else None,
        metadata={CODE_KEY: str(code.pk)},
    )


def fingerprint(spec: DiscountSpec) -> str:
    return hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode()).hexdigest()


def sync_discount(code_id: int) -> DodoDiscount | None:
    """Bring Dodo's copy of code ``code_id`` up to date; idempotent.

    An active code is created at Dodo or patched when it changed (re-created
    if Dodo lost it); an inactive or deleted one is deleted at Dodo. Calls
    for one code are serialized on its row. Returns the row (``None`` once a
    deleted code's copy is gone). Dodo's errors are raised
    (:class:`~.client.DodoUnavailable`: retry; :class:`~.client.DodoRejected`:
    the reason is kept in ``last_error``).
    """
    with transaction.atomic():
        link, _ = DodoDiscount.objects.select_for_update().get_or_create(code_id=code_id)
        code = DiscountCode.objects.filter(pk=code_id).first()
        try:
            if code is None or not code.is_active:
                return _withdraw(link, deleted=code is None)
            spec = discount_spec(code)
            print_ = fingerprint(spec)
            if link.dodo_discount_id and link.fingerprint == print_:
                return link
            _push(link, spec)
        except DodoRejected as exc:
            link.last_error = str(exc)[:2000]
            link.save(update_fields=["last_error", "updated_at"])
            logger.warning("Dodo refused discount code %s: %s", code_id, exc)
            raise
        link.fingerprint, link.last_error, link.synced_at = print_, "", timezone.now()
        link.save()
        logger.info("Discount code %s synced to Dodo as %s", code_id, link.dodo_discount_id)
        return link


def _push(link: DodoDiscount, spec: DiscountSpec) -> None:
    if link.dodo_discount_id:
        try:
            client.update_discount(link.dodo_discount_id, spec)
            return
        except DodoRejected as exc:
            if exc.status != 404:
                raise
            logger.warning("Dodo discount %s is gone; creating a new one", link.dodo_discount_id)
    created = client.create_discount(spec)
    link.dodo_discount_id, link.dodo_code = created.discount_id, created.code


def _withdraw(link: DodoDiscount, *, deleted: bool) -> DodoDiscount | None:
    if link.dodo_discount_id:
        client.delete_discount(link.dodo_discount_id)
    if deleted:
        link.delete()
        return None
    link.dodo_discount_id = link.dodo_code = link.fingerprint = link.last_error = ""
    link.save()
    return link


def ensure_synced(code: DiscountCode) -> str:
    """Dodo's code for ``code`` (which core just accepted at checkout), syncing it
    first when Dodo lacks it or holds an old version. Raises
    :class:`~.client.DodoError` when it cannot."""
    link = DodoDiscount.objects.filter(code_id=code.pk).first()
    if link is not None and link.dodo_discount_id and link.fingerprint == fingerprint(
            discount_spec(code)):
        return link.dodo_code
    synced = sync_discount(code.pk)
    assert synced is not None  # the code exists and is active: it was just accepted
    return synced.dodo_code
