"""What the plugin adds to My Products: "Request support" or the latest request's status.

Core calls ``product_actions`` once per listed product. The first call loads
the latest request of *every* purchase of ``request.user`` in one query and
keeps the answer on the request, so the page makes one query for the plugin
however many products it lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace_core.plugins.types import ProductAction
from marketplace_support import status_machine
from marketplace_support.models import SupportRequest
from marketplace_support.status_machine import Status
from marketplace_support.urls_for import my_support_url

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.ownership.models import PurchasedProduct

#: Attribute of the ``HttpRequest`` holding the loaded requests.
REQUEST_ATTR = "_support_latest_requests"
ACTION_KEY = "support"
ACTION_ORDER = 300


@dataclass(frozen=True)
class LatestRequest:
    pk: int
    status: Status


def latest_requests(request: HttpRequest) -> dict[int, LatestRequest]:
    """purchase id → the latest support request of it, for ``request.user``'s purchases.

    One query on the first call for a request, none afterwards.
    """
    cached: dict[int, LatestRequest] | None = getattr(request, REQUEST_ATTR, None)
    if cached is None:
        # Ids grow with time, so the greatest id per purchase is its latest request.
        latest_ids = (
            SupportRequest.objects.of_buyer(request.user.pk)
            .order_by().values("purchase_id").annotate(latest=Max("id")).values("latest")
        )
        rows = SupportRequest.objects.filter(pk__in=latest_ids).order_by().values_list(
            "purchase_id", "pk", "status"
        )
        cached = {purchase_id: LatestRequest(pk, Status(status))
                  for purchase_id, pk, status in rows}
        setattr(request, REQUEST_ATTR, cached)
    return cached


def actions_for(request: HttpRequest, purchase: PurchasedProduct) -> list[ProductAction]:
    """"Request support" when nothing is open, else a link to the open request.

    Either way the latest request's status is shown next to it.
    """
    if not request.user.is_authenticated or purchase.buyer_id != request.user.pk:
        return []
    latest = latest_requests(request).get(purchase.pk)
    status = latest.status.label if latest else ""
    if latest is not None and latest.status in status_machine.ACTIVE:
        url = f"{my_support_url(request.user)}#support-request-{latest.pk}"
        return [ProductAction(label=_("View support request"), url=url, key=ACTION_KEY,
                              status=str(status), order=ACTION_ORDER)]
    return [ProductAction(label=_("Request support"), key=ACTION_KEY, status=str(status),
                          url=reverse("support:create", args=[purchase.pk]), order=ACTION_ORDER)]
