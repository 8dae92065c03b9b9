"""Benchmark settings: the example site as deployed, one middleware variant, a bare view.

``BENCH_VARIANT`` picks the middleware stack. The example site already inserts
``ShortURLMiddleware`` (at index 1) when the ``shorturl`` plugin is enabled, so it
is first removed wherever it is and then added back, once, only where wanted:

- ``fast-path``: the example site's stack with ``ShortURLMiddleware`` right after
  ``SecurityMiddleware`` (how docs/shorturl.md says to enable it);
- ``view-only``: the example site's stack without ``ShortURLMiddleware`` (short
  links served by the view);
- ``no-maintenance``: ``fast-path`` without ``UnderConstructionMiddleware``.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "example_site"))

from example_site.settings import *  # noqa: F403
from example_site.settings import MIDDLEWARE as _SITE_MIDDLEWARE

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise wants it)
# As the example site with Redis: sessions read from the cache (one process here,
# so the local-memory cache is shared by every request).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Deployed, beat queues the periodic tasks; run in the web process (the demo without
# Redis) they would land in whichever timed request found them due.
MARKETPLACE = {**MARKETPLACE, "PERIODIC_TASKS_IN_PROCESS": False}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}

_FAST_PATH = "marketplace_shorturl.middleware.ShortURLMiddleware"
_MAINTENANCE = "marketplace_core.maintenance.middleware.UnderConstructionMiddleware"
_SECURITY = "django.middleware.security.SecurityMiddleware"
VARIANT = os.environ.get("BENCH_VARIANT", "fast-path")
if VARIANT not in ("fast-path", "view-only", "no-maintenance"):
    raise RuntimeError(f"Unknown BENCH_VARIANT {VARIANT!r}")

MIDDLEWARE = [m for m in _SITE_MIDDLEWARE if m != _FAST_PATH]
if VARIANT != "view-only":
    MIDDLEWARE.insert(MIDDLEWARE.index(_SECURITY) + 1, _FAST_PATH)
if VARIANT == "no-maintenance":
    MIDDLEWARE.remove(_MAINTENANCE)
if MIDDLEWARE.count(_FAST_PATH) != (VARIANT != "view-only"):
    raise RuntimeError(f"{VARIANT}: ShortURLMiddleware is listed "
                       f"{MIDDLEWARE.count(_FAST_PATH)} times")
