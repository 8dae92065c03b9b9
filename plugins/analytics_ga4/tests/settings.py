"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`), with the plugin's middleware.

The test process configures the plugin per test (``conftest.configure``), pointing
it at :class:`marketplace_analytics_ga4.testing.FakeGA4`.
"""

from marketplace_core.testing.settings import settings_for_tests

_settings = settings_for_tests(plugins=["analytics_ga4"], name="analytics_ga4")
_settings["MIDDLEWARE"] = [*_settings["MIDDLEWARE"],
                           "marketplace_analytics_ga4.middleware.GA4Middleware"]
globals().update(_settings)
