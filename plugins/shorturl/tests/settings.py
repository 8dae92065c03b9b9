"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`).

Also used by the server processes some tests start (``runserver`` on the test
database): ``DATABASE_URL`` picks the database, ``REDIS_URL`` switches the
default cache to that Redis, and ``SHORTURL_PUSH_INTERVAL`` /
``SHORTURL_FLUSH_IN_WEB_PROCESS`` set the click pusher of such a process.
"""

import os

from marketplace_core.testing.settings import settings_for_tests

_settings = settings_for_tests(plugins=["shorturl"], name="shorturl")
_settings["MARKETPLACE"]["shorturl"] = {
    # In-process tests push and flush explicitly; server processes get an interval.
    "PUSH_INTERVAL": float(os.environ.get("SHORTURL_PUSH_INTERVAL", "0")),
    "FLUSH_IN_WEB_PROCESS": os.environ.get("SHORTURL_FLUSH_IN_WEB_PROCESS", "") == "1",
}
# Short links are answered right after the security headers (docs/shorturl.md).
_settings["MIDDLEWARE"].insert(1, "marketplace_shorturl.middleware.ShortURLMiddleware")
globals().update(_settings)
