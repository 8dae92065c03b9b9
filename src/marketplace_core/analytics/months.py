"""Calendar months in the current time zone, for grouping sales by month.

Month arithmetic is python-dateutil's ``relativedelta``, which knows month
lengths and leap years.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``day``'s (negative: before).

    Any day of a month works: January 31 plus one month is February 1.
    """
    # ``day=1`` is absolute: applied after the months, so no month is ever skipped.
    result: dt.date = day + relativedelta(months=count, day=1)
    return result


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
