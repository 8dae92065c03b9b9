"""Dashboard periods: 7, 30 or 90 days, or 12 months, ending now, and the one before.

A period starts at local midnight (the current time zone: ``TIME_ZONE`` or the
one a middleware activated for the seller) and ends now. Days are grouped by
day, twelve months by calendar month (the first bucket starts on the first of
the month eleven months ago). The previous period is the same window moved
back by its length (N days, or twelve months), so both cover the same stretch
of the calendar and the comparison is fair even early in a day or a month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from marketplace_core.analytics.months import add_months, local_midnight, month_label

Bucket = Literal["day", "month"]

#: The periods the dashboard offers, in the order the selector shows them.
PERIODS: dict[str, str] = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "12m": "Last 12 months",
}
DEFAULT_PERIOD = "30d"


class UnknownPeriod(ValueError):
    """A period key that is not one of :data:`PERIODS`."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Unknown period {key!r}; use one of {', '.join(PERIODS)}.")


@dataclass(frozen=True)
class Window:
    """``[start, end)`` as aware datetimes."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Period:
    """One dashboard period: its window, the previous one, and its chart buckets."""

    key: str
    label: str
    current: Window
    previous: Window
    bucket: Bucket
    #: First local day of every bucket, oldest first.
    buckets: tuple[dt.date, ...]

    @property
    def first_day(self) -> dt.date:
        return self.buckets[0]

    @property
    def last_day(self) -> dt.date:
        """The local day the period ends on (today)."""
        return timezone.localtime(self.current.end).date()

    def bucket_label(self, day: dt.date) -> str:
        """``2026-01-15`` for a day, ``2026-01`` for a month (what chart axes show)."""
        return day.isoformat() if self.bucket == "day" else month_label(day)

    @property
    def labels(self) -> list[str]:
        return [self.bucket_label(day) for day in self.buckets]

    def bucket_of(self, moment: dt.date | dt.datetime) -> dt.date:
        """The bucket ``moment`` (aware datetime or local date) falls in."""
        day = timezone.localtime(moment).date() if isinstance(moment, dt.datetime) else moment
        return day if self.bucket == "day" else day.replace(day=1)


def period(key: str, *, now: dt.datetime | None = None) -> Period:
    """The period ``key`` ending at ``now`` (default: the current time).

    :raises UnknownPeriod: ``key`` is not one of :data:`PERIODS`.
    """
    if key not in PERIODS:
        raise UnknownPeriod(key)
    end = now or timezone.now()
    today = timezone.localdate(end)
    if key == "12m":
        first = add_months(today, -11)
        buckets = tuple(add_months(first, offset) for offset in range(12))
        length = relativedelta(months=12)
        bucket: Bucket = "month"
    else:
        days = int(key.removesuffix("d"))
        first = today - dt.timedelta(days=days - 1)
        buckets = tuple(first + dt.timedelta(days=offset) for offset in range(days))
        length = relativedelta(days=days)
        bucket = "day"
    start = local_midnight(first)
    # Shift local wall times, then make them aware again: a DST change in between
    # must not move the previous window's start off midnight.
    previous_start = local_midnight(first - length)
    previous_end = timezone.make_aware(timezone.make_naive(end) - length)
    return Period(
        key=key, label=PERIODS[key], current=Window(start, end),
        previous=Window(previous_start, previous_end), bucket=bucket, buckets=buckets,
    )
