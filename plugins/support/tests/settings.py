"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`)."""

from marketplace_core.testing.settings import settings_for_tests

globals().update(settings_for_tests(plugins=["support"], name="support"))
