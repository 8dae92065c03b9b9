"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`).

The test process configures the plugin per test (``conftest.configure``), pointing
it at :class:`marketplace_analytics_ga4.testing.FakeGA4`. The Celery worker some
tests start (``tests.worker_app``) gets its options as JSON in ``TEST_GA4_OPTIONS``
(and its broker and database from ``CELERY_BROKER_URL`` and ``DATABASE_URL``).
"""

import json
import os

from marketplace_core.testing.settings import settings_for_tests

_settings = settings_for_tests(plugins=["analytics_ga4"], name="analytics_ga4")
if os.environ.get("TEST_GA4_OPTIONS"):
    _settings["MARKETPLACE"]["analytics_ga4"] = json.loads(os.environ["TEST_GA4_OPTIONS"])
globals().update(_settings)
