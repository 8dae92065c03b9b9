"""``/healthz``: whether this process can reach the parts it depends on.

Each part has one probe in :data:`PROBES` (a callable that raises when the
part cannot be reached); the body names every failing part in ``failing``:

- ``{"status": "ok", "failing": []}`` with 200: every part answers;
- ``"degraded"`` with 200: only parts the pages can do without fail (the cache:
  pages, logins and redirects still answer, with per-process rate limits; the
  file store: only uploads and downloads are refused, with a clear message);
- ``"unhealthy"`` with 503: an :data:`ESSENTIAL` part fails (the database), so
  a load balancer should stop sending requests here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from marketplace_core.maintenance.decorators import maintenance_exempt
from marketplace_core.maintenance.state import is_enabled
from marketplace_core.plugins.registry import storage_backend


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.get("marketplace_core:health")


def _storage() -> None:
    # The backend keeps it cheap: StorageBackend.check_health caches network answers.
    storage_backend().check_health()


#: Part name -> probe, in the order they are reported.
PROBES: dict[str, Callable[[], None]] = {
    "database": _database, "cache": _cache, "storage": _storage,
}

#: Parts without which no page works: when one fails the answer is 503.
ESSENTIAL = frozenset({"database"})


def failing_parts() -> list[str]:
    """The names of the parts whose probe raised, in :data:`PROBES` order."""
    failing = []
    for name, probe in PROBES.items():
        try:
            probe()
        except Exception:
            failing.append(name)
    return failing


@never_cache
@maintenance_exempt
def health(request: HttpRequest) -> JsonResponse:
    """``ok`` or ``degraded`` with 200, ``unhealthy`` with 503 (see the module)."""
    problems = failing_parts()
    unhealthy = not ESSENTIAL.isdisjoint(problems)
    body = {
        "status": "unhealthy" if unhealthy else "degraded" if problems else "ok",
        "failing": problems,
        "maintenance": is_enabled(),
    }
    return JsonResponse(body, status=503 if unhealthy else 200)
