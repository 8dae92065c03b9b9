"""Badges on seller and buyer pages: "Updated", and statuses from plugins.

The "Updated" badge: a product's file was replaced recently. A file counts as
updated for three days after it changed (seed: "Updated badge, last 3 days"),
and only when it changed after a reference moment: for
a buyer, the purchase (a file bought in its current version is not news); for
the seller, the first publication (the first upload is not an update).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from marketplace_core.panels.grouping import grouped_answers
from marketplace_core.plugins.types import ProductBadge

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product

#: How long a replaced file counts as "Updated".
UPDATED_BADGE_DAYS = 3


def is_recently_updated(file_updated_at: dt.datetime | None, *,
                        since: dt.datetime | None = None,
                        now: dt.datetime | None = None) -> bool:
    """Whether a file changed at ``file_updated_at`` is less than three days old
    and newer than ``since`` (when given)."""
    if file_updated_at is None:
        return False
    if since is not None and file_updated_at <= since:
        return False
    now = now or timezone.now()
    return file_updated_at >= now - dt.timedelta(days=UPDATED_BADGE_DAYS)


def seller_product_badges(request: HttpRequest, products: Sequence[Product]
                          ) -> dict[int, list[ProductBadge]]:
    """Plugins' ``seller_product_badges`` for ``products``, by product id.

    One call per plugin for the whole page. A plugin that raises is logged and
    left out; badges naming a product not on the page are dropped.
    """
    return grouped_answers("seller_product_badges",
                           {"request": request, "products": list(products)},
                           [product.pk for product in products],
                           lambda badge: badge.product_id, failing="to give product badges")
