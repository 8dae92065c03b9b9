"""The page cache's check (W031): it is only as shared as the ``default`` cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from marketplace_core.conf import conf

#: Cache backends whose entries live in one process.
PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches)
def check_page_cache_is_shared(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W031: ``DEBUG`` off, the page cache on and the default cache in one process.

    Each web process would keep its own catalog version: a change made through
    one process (or a management command, or a Celery worker) would reach the
    pages of the others only after ``PAGE_CACHE_TIMEOUT``.
    """
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    try:
        timeout = conf.PAGE_CACHE_TIMEOUT
    except (TypeError, ValueError):
        return []  # E031 says why
    if settings.DEBUG or timeout <= 0 or backend not in PROCESS_LOCAL_CACHES:
        return []
    return [Warning(
        "Storefront pages are cached in the 'default' cache, which lives in each process "
        f"({backend.rsplit('.', 1)[-1]}): with more than one web process, or products "
        "changed from a command or a worker, a change can take PAGE_CACHE_TIMEOUT "
        f"({timeout} s) to show.",
        hint="Use a shared cache (Redis: REDIS_URL in the example site), or set "
             "MARKETPLACE['PAGE_CACHE_TIMEOUT'] = 0 if more than one process serves "
             "the site.",
        id="marketplace_core.W031",
    )]
