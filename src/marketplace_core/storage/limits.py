"""Download limits: how many links one purchase may get, counted atomically.

A product's ``download_limit`` (``None``: unlimited) caps
``PurchasedProduct.downloads_used``. :func:`take_download` raises the count
with one conditional ``UPDATE ... WHERE downloads_used < limit``, so of two
requests racing for the last download exactly one gets it, on SQLite and
PostgreSQL alike, without holding a lock across the storage call. Every link
given out counts (a double click too: each click is a working link), and the
count keeps rising without a limit, so a limit set later applies to what
buyers already took.
"""

from __future__ import annotations

from django.db.models import F

from marketplace_core.ownership.models import PurchasedProduct


def take_download(purchase: PurchasedProduct) -> bool:
    """Count one download of ``purchase``; ``False`` (nothing counted) when its
    product's limit is used up."""
    rows = PurchasedProduct.objects.filter(pk=purchase.pk)
    limit = purchase.product.download_limit
    if limit is not None:
        rows = rows.filter(downloads_used__lt=limit)
    taken = rows.update(downloads_used=F("downloads_used") + 1) == 1
    if taken:
        purchase.downloads_used += 1
    return taken


def downloads_left(purchase: PurchasedProduct) -> int | None:
    """How many more downloads ``purchase`` may take; ``None``: no limit."""
    limit = purchase.product.download_limit
    return None if limit is None else max(0, limit - purchase.downloads_used)
