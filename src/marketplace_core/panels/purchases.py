"""Owned products as My Products lists them: badge and plugin actions."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from marketplace_core.panels.badges import is_recently_updated
from marketplace_core.panels.grouping import grouped_answers
from marketplace_core.plugins.manager import call_each
from marketplace_core.plugins.types import OwnedProductDetail, ProductAction

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import PurchasedProduct

logger = logging.getLogger("marketplace_core.panels")


@dataclass(frozen=True)
class OwnedProduct:
    """One row of My Products."""

    purchase: PurchasedProduct
    #: The file was replaced after the purchase, less than three days ago.
    updated: bool
    #: What plugins offer for it (``product_actions``), sorted by ``order``.
    actions: list[ProductAction] = field(default_factory=list)
    #: Lines of text plugins show under it (``owned_product_details``), sorted.
    details: list[OwnedProductDetail] = field(default_factory=list)

    @property
    def product(self) -> Product:
        return self.purchase.product


def product_actions(request: HttpRequest, purchase: PurchasedProduct) -> list[ProductAction]:
    """Every plugin's ``product_actions`` for ``purchase``, sorted by ``order`` then label.

    A plugin that raises is logged and left out: the buyer still sees the
    product and its Download button.
    """
    kwargs = {"request": request, "product": purchase.product, "purchase": purchase}
    answers = call_each("product_actions", kwargs, logger=logger,
                        failing="to give product actions")
    actions: list[ProductAction] = []
    for answer in answers.result:
        if isinstance(answer, list | tuple):
            actions.extend(answer)
        elif answer is not None:  # a plugin's bug must not break the buyer's page
            logger.error("A plugin gave product actions that are not a list: %r", answer)
    return sorted(actions, key=lambda action: (action.order, action.label))


def owned_product_details(request: HttpRequest, purchases: list[PurchasedProduct]
                          ) -> dict[int, list[OwnedProductDetail]]:
    """Plugins' ``owned_product_details`` for ``purchases``, by purchase id, sorted.

    One call per plugin for the whole page. A plugin that raises is logged and
    left out; details naming a purchase not on the page are dropped.
    """
    by_purchase: dict[int, list[OwnedProductDetail]] = grouped_answers(
        "owned_product_details", {"request": request, "purchases": purchases},
        [purchase.pk for purchase in purchases], lambda detail: detail.purchase_id,
        failing="to give owned product details")
    for found in by_purchase.values():
        found.sort(key=lambda detail: (detail.order, detail.label))
    return by_purchase


def owned_products(request: HttpRequest, purchases: Iterable[PurchasedProduct], *,
                   now: dt.datetime | None = None) -> list[OwnedProduct]:
    """``purchases`` (with ``product`` selected) as rows of My Products."""
    now = now or timezone.now()
    purchases = list(purchases)
    details = owned_product_details(request, purchases)
    return [
        OwnedProduct(
            purchase=purchase,
            updated=is_recently_updated(purchase.product.file_updated_at,
                                        since=purchase.granted_at, now=now),
            actions=product_actions(request, purchase),
            details=details[purchase.pk],
        )
        for purchase in purchases
    ]
