"""A seller's traffic for the dashboard: cached, refreshed in the background, never slow.

:func:`traffic_for` answers from the cache (Django's default cache, per
property, seller, period and day). On a miss it asks GA4 in a worker thread
and waits ``REQUEST_TIMEOUT`` seconds at most: past that the request answers
without traffic and a note, and the thread, left running, fills the cache for
the next request. A failure is remembered for ``FAILURE_BACKOFF`` seconds so
pages do not queue behind a failing Google. Every (seller, period) shown is
remembered for a week, and the periodic task :func:`refresh_wanted` fetches
them again every ``REFRESH_INTERVAL`` with the longer ``TASK_TIMEOUT``.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.utils import timezone

from marketplace_analytics_ga4.conf import conf
from marketplace_analytics_ga4.data_api import DataAPIError, Traffic, fetch_traffic
from marketplace_core.analytics.performance import product_path_maker
from marketplace_core.analytics.periods import Period, period
from marketplace_core.catalog.models import Product

if TYPE_CHECKING:
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_analytics_ga4")

WANTED_KEY = "analytics_ga4:wanted"
#: Sellers' periods not looked at for this long are no longer refreshed.
WANTED_FOR = 7 * 86400
NOT_CONFIGURED = ("Traffic from Google Analytics is not shown: the site has not set up "
                  "Google Analytics (property id and credentials).")
SLOW = ("Traffic from Google Analytics is not shown yet: Google did not answer in time. "
        "It will appear after the next refresh.")
FAILED = "Traffic from Google Analytics is not shown: {reason}."

# Two threads: a slow Google never holds more than two fetches (and no web worker) at a time.
_executor = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="ga4-fetch")
_running: set[concurrent.futures.Future[Traffic]] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Answer:
    """What the dashboard gets: traffic, or ``None`` and why."""

    traffic: Traffic | None
    note: str = ""


def _key(kind: str, seller_id: int, window: Period) -> str:
    return (f"analytics_ga4:{kind}:{conf.PROPERTY_ID}:{seller_id}:{window.key}:"
            f"{window.last_day.isoformat()}")


def product_paths(seller_id: int) -> dict[str, int]:
    """The seller's product page paths → product id (one query)."""
    path = product_path_maker()
    return {path(slug): pk for pk, slug in
            Product.objects.filter(seller_id=seller_id).values_list("pk", "slug")}


def refresh(seller_id: int, window: Period, paths: list[str], *, timeout: float) -> Traffic:
    """Fetch and cache the traffic (no database access: safe in a worker thread).

    :raises DataAPIError: as :func:`fetch_traffic`; the failure is cached too.
    """
    try:
        traffic = fetch_traffic(window, paths, timeout=timeout)
    except DataAPIError as exc:
        logger.warning("GA4 traffic for seller %s (%s) failed: %s", seller_id, window.key, exc)
        cache.set(_key("failure", seller_id, window), str(exc), conf.FAILURE_BACKOFF)
        raise
    cache.set(_key("traffic", seller_id, window), traffic.as_dict(), conf.CACHE_SECONDS)
    cache.delete(_key("failure", seller_id, window))
    return traffic


def _remember(seller_id: int, period_key: str) -> None:
    """Note that this seller looked at this period (for the periodic refresh)."""
    wanted = cache.get(WANTED_KEY) or {}
    now = time.time()
    wanted = {key: seen for key, seen in wanted.items() if now - seen < WANTED_FOR}
    wanted[f"{seller_id}:{period_key}"] = now
    cache.set(WANTED_KEY, wanted, WANTED_FOR)


def traffic_for(seller: User, window: Period, paths: list[str]) -> Answer:
    """The seller's traffic over ``window``; waits ``REQUEST_TIMEOUT`` seconds at most."""
    if not conf.reads_traffic:
        return Answer(None, NOT_CONFIGURED)
    _remember(seller.pk, window.key)
    cached = cache.get(_key("traffic", seller.pk, window))
    if cached is not None:
        return Answer(Traffic.from_dict(cached))
    failure = cache.get(_key("failure", seller.pk, window))
    if failure is not None:
        return Answer(None, FAILED.format(reason=failure))
    # One fetch at a time per seller and period: requests arriving meanwhile do not queue more.
    fetching = _key("fetching", seller.pk, window)
    if not cache.add(fetching, 1, timeout=round(conf.TASK_TIMEOUT) + 1):
        return Answer(None, SLOW)
    future = _executor.submit(_fetch, fetching, seller.pk, window, paths)
    with _lock:
        _running.add(future)
    future.add_done_callback(_forget)
    try:
        return Answer(future.result(timeout=conf.REQUEST_TIMEOUT))
    except concurrent.futures.TimeoutError:
        return Answer(None, SLOW)
    except DataAPIError as exc:
        return Answer(None, FAILED.format(reason=exc))


def _fetch(fetching: str, seller_id: int, window: Period, paths: list[str]) -> Traffic:
    try:
        return refresh(seller_id, window, paths, timeout=conf.TASK_TIMEOUT)
    finally:
        cache.delete(fetching)


def _forget(future: concurrent.futures.Future[Traffic]) -> None:
    with _lock:
        _running.discard(future)


def wait_for_background_fetches(timeout: float = 60.0) -> None:
    """Wait until the fetches requests left running have finished (for tests)."""
    with _lock:
        running = list(_running)
    concurrent.futures.wait(running, timeout=timeout)


def refresh_wanted() -> int:
    """Fetch again the traffic of every (seller, period) looked at this week; return how many
    were refreshed. Idempotent: it only overwrites cache entries."""
    if not conf.reads_traffic:
        return 0
    refreshed = 0
    now = timezone.now()
    for key in sorted(cache.get(WANTED_KEY) or {}):
        seller_id, period_key = key.split(":", 1)
        window = period(period_key, now=now)
        paths = product_paths(int(seller_id))
        try:
            refresh(int(seller_id), window, sorted(paths), timeout=conf.TASK_TIMEOUT)
        except DataAPIError:
            continue  # logged and remembered; the next run tries again
        refreshed += 1
    return refreshed
