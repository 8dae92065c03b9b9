"""Calendar months in the current time zone, for grouping sales by month."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + (month.month - 1) + count
    return dt.date(index // 12, index % 12 + 1, 1)


def last_months(count: int, *, today: dt.date) -> list[dt.date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    current = month_start(today)
    return [add_months(current, offset) for offset in range(1 - count, 1)]


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today in the current time zone (``now`` defaults to the current time)."""
    return timezone.localdate(now or timezone.now())


def local_midnight(day: dt.date) -> dt.datetime:
    """The aware datetime at which ``day`` starts in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_label(month: dt.date) -> str:
    """``2025-01``: sortable, language-neutral, what chart axes show."""
    return f"{month.year:04d}-{month.month:02d}"
