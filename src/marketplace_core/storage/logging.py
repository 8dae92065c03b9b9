"""The download log: who fetched what, when and from where."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone

from marketplace_core.ownership.models import Download, PurchasedProduct

#: Repeated downloads of one purchase within this window count once (double clicks).
DEDUP_WINDOW = dt.timedelta(seconds=10)


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the web server saw it (trust proxies in the server)."""
    return request.META.get("REMOTE_ADDR") or None


def log_download(request: HttpRequest, purchase: PurchasedProduct) -> bool:
    """Record a download unless the same purchase was downloaded moments ago."""
    since = timezone.now() - DEDUP_WINDOW
    if Download.objects.filter(purchase=purchase, created_at__gte=since).exists():
        return False
    Download.objects.create(
        purchase=purchase,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
    )
    return True
