"""The "Updated" badge: a product's file was replaced recently.

A file counts as updated for three days after it changed (seed: "Updated
badge, last 3 days"), and only when it changed after a reference moment: for
a buyer, the purchase (a file bought in its current version is not news); for
the seller, the first publication (the first upload is not an update).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

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
