"""Typed, lazy access to ``MARKETPLACE["shorturl"]``.

Every read goes to ``django.conf.settings`` when it is made, so
``override_settings`` works and nothing is read at import time. Values are
returned as configured; :mod:`marketplace_shorturl.checks` reports wrong ones.

Example::

    MARKETPLACE["shorturl"] = {
        "SHORT_DOMAIN": "https://go.example.com",   # full short URLs use this host
        "ALLOWED_DOMAINS": ["example.com"],          # destinations limited to these
        "RESERVED_SLUGS": ["pricing"],
        "PUSH_INTERVAL": 1.0,                        # web process -> shared cache
        "FLUSH_INTERVAL": 10.0,                      # shared cache -> database
        "ATTRIBUTION_DAYS": 30,                      # last click within 30 days
    }
"""

from __future__ import annotations

from typing import Any

from marketplace_core.conf import conf as core_conf

NAME = "shorturl"

DEFAULTS: dict[str, Any] = {
    # Host (optionally with scheme and port) used to build full short URLs;
    # None builds them from the request's own scheme and host.
    "SHORT_DOMAIN": None,
    # Destinations must be on one of these domains or their subdomains; empty allows any
    # public host.
    "ALLOWED_DOMAINS": [],
    # Slugs refused on top of the built-in reserved words and the site's own paths.
    "RESERVED_SLUGS": [],
    # Length of generated slugs (31 symbols each: 7 gives about 2.7e10 possibilities).
    "SLUG_LENGTH": 7,
    # Seconds a resolved link (and its version key) stays in the shared cache.
    "CACHE_TIMEOUT": 24 * 3600,
    # Links each web process keeps in memory in front of the shared cache.
    "LOCAL_CACHE_SIZE": 10_000,
    # Seconds between pushes of a web process's click counts to the shared cache;
    # 0 pushes only when a flush runs in that process or the process exits.
    "PUSH_INTERVAL": 1.0,
    # Seconds between runs of the periodic flush task (shared cache -> database).
    "FLUSH_INTERVAL": 10.0,
    # Whether the web process's pusher also runs the flush. None: when Celery runs
    # tasks eagerly (development without a worker or beat).
    "FLUSH_IN_WEB_PROCESS": None,
    # Links per page in the seller's list.
    "PAGE_SIZE": 20,
    # Days after a click during which the product views and purchases of the visitor
    # are the link's (last click wins); 0 sets no attribution cookie at all.
    "ATTRIBUTION_DAYS": 30,
    # Name of the first-party cookie the redirect sets (the link's id and the click's
    # time, signed: nothing about the visitor).
    "ATTRIBUTION_COOKIE": "shorturl_ref",
}


class ShorturlSettings:
    """Attribute access to ``MARKETPLACE["shorturl"]`` with :data:`DEFAULTS`."""

    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    def _get(self, key: str) -> Any:
        value = self.raw.get(key)
        return DEFAULTS[key] if value is None else value

    @property
    def SHORT_DOMAIN(self) -> str | None:
        return self._get("SHORT_DOMAIN") or None

    @property
    def ALLOWED_DOMAINS(self) -> list[str]:
        return [str(d).strip().lower().rstrip(".") for d in self._get("ALLOWED_DOMAINS")]

    @property
    def RESERVED_SLUGS(self) -> frozenset[str]:
        return frozenset(str(s).strip().lower() for s in self._get("RESERVED_SLUGS"))

    @property
    def SLUG_LENGTH(self) -> int:
        return int(self._get("SLUG_LENGTH"))

    @property
    def CACHE_TIMEOUT(self) -> int:
        return int(self._get("CACHE_TIMEOUT"))

    @property
    def LOCAL_CACHE_SIZE(self) -> int:
        return int(self._get("LOCAL_CACHE_SIZE"))

    @property
    def PUSH_INTERVAL(self) -> float:
        return float(self._get("PUSH_INTERVAL"))

    @property
    def FLUSH_INTERVAL(self) -> float:
        return float(self._get("FLUSH_INTERVAL"))

    @property
    def FLUSH_IN_WEB_PROCESS(self) -> bool:
        value = self._get("FLUSH_IN_WEB_PROCESS")
        if value is None:
            # No beat runs the flush task when tasks run in process (no broker, or eager).
            from marketplace_core.celery_app import tasks_run_in_process

            return tasks_run_in_process()
        return bool(value)

    @property
    def PAGE_SIZE(self) -> int:
        return int(self._get("PAGE_SIZE"))

    @property
    def ATTRIBUTION_DAYS(self) -> int:
        return int(self._get("ATTRIBUTION_DAYS"))

    @property
    def ATTRIBUTION_COOKIE(self) -> str:
        return str(self._get("ATTRIBUTION_COOKIE"))


conf = ShorturlSettings()
