"""The "Updated" badge: a product's file changed recently."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

#: How long a replaced file counts as "Updated" (seed: three days).
UPDATED_BADGE_DAYS = 3


def is_recently_updated(file_updated_at: dt.datetime | None, *,
                        now: dt.datetime | None = None) -> bool:
    """Whether a file changed at ``file_updated_at`` is less than three days old."""
    if file_updated_at is None:
        return False
    now = now or timezone.now()
    return file_updated_at >= now - dt.timedelta(days=UPDATED_BADGE_DAYS)
