"""The download log: who fetched what, when and from where."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from marketplace_core.accounts.client_ip import client_ip as accounts_client_ip
from marketplace_core.ownership.models import Download, PurchasedProduct

#: Repeated downloads of one purchase within this window count once (double clicks).
DEDUP_WINDOW = dt.timedelta(seconds=10)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, through ``MARKETPLACE["TRUSTED_PROXY_COUNT"]`` proxies
    as login throttling sees it.

    ``None`` when there is no usable address (a Unix socket, for example): the
    column is an IP address type and would refuse anything else.
    """
    value = accounts_client_ip(request)  # a normalized valid address or "unknown"
    return None if value == "unknown" else value


def log_download(request: HttpRequest, purchase: PurchasedProduct) -> bool:
    """Record a download unless the same purchase was downloaded moments ago.

    Returns whether a row was written. Concurrent calls for one purchase are
    serialized on the purchase row (PostgreSQL ``SELECT ... FOR UPDATE``;
    SQLite's immediate transactions), so a double click that arrives as two
    parallel requests is still recorded once.
    """
    with transaction.atomic():
        list(PurchasedProduct.objects.select_for_update().filter(pk=purchase.pk).values_list("pk"))
        since = timezone.now() - DEDUP_WINDOW
        if Download.objects.filter(purchase=purchase, created_at__gte=since).exists():
            return False
        Download.objects.create(
            purchase=purchase,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        )
        return True
