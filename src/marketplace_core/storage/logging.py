"""The download log: who fetched what, when and from where."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes

from marketplace_core.accounts.client_ip import client_ip as accounts_client_ip
from marketplace_core.ownership.models import Download, PurchasedProduct

#: Repeated downloads of one version of a purchase within this window are logged once
#: (double clicks).
DEDUP_WINDOW = dt.timedelta(seconds=10)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, through ``MARKETPLACE["TRUSTED_PROXY_COUNT"]`` proxies
    as login throttling sees it.

    ``None`` when there is no usable address (a Unix socket, for example): the
    column is an IP address type and would refuse anything else.
    """
    value = accounts_client_ip(request)  # a normalized valid address or "unknown"
    return None if value == "unknown" else value


def log_download(request: HttpRequest, purchase: PurchasedProduct, *,
                 version: Model | None = None) -> bool:
    """Record a download unless the same version of the purchase was downloaded moments ago.

    ``version`` is the ``ProductFileVersion`` downloaded (``None``: not known). Returns
    whether a row was written. Concurrent calls for one purchase are
    serialized on the purchase row (PostgreSQL ``SELECT ... FOR UPDATE``;
    SQLite's immediate transactions), so a double click that arrives as two
    parallel requests is still recorded once.
    """
    with transaction.atomic():
        list(PurchasedProduct.objects.select_for_update().filter(pk=purchase.pk).values_list("pk"))
        since = timezone.now() - DEDUP_WINDOW
        version_id = version.pk if version is not None else None
        # A double click fetches the same version twice; another version is another download.
        if Download.objects.filter(purchase=purchase, version_id=version_id,
                                   created_at__gte=since).exists():
            return False
        Download.objects.create(
            purchase=purchase,
            version_id=version_id,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        )
        return True


def ip_hash(address: str | None) -> str:
    """A short keyed hash of a logged address (``""`` for none): enough for a
    seller to tell one place from another without seeing the buyer's address."""
    if not address:
        return ""
    key = b"marketplace_core.download_ip:" + force_bytes(settings.SECRET_KEY)
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:12]
