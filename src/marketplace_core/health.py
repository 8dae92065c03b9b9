"""``/healthz``: whether this process can reach its database and cache."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from marketplace_core.maintenance.decorators import maintenance_exempt
from marketplace_core.maintenance.state import is_enabled


@never_cache
@maintenance_exempt
def health(request: HttpRequest) -> JsonResponse:
    """200 with ``{"status": "ok"}`` when healthy, 503 naming what failed."""
    problems: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        problems.append("database")
    try:
        cache.get("marketplace_core:health")
    except Exception:
        problems.append("cache")
    body = {
        "status": "ok" if not problems else "unhealthy",
        "failing": problems,
        "maintenance": is_enabled(),
    }
    return JsonResponse(body, status=503 if problems else 200)
