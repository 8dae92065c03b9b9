"""Settings for core's own tests: no plugin enabled, SQLite or PostgreSQL
(see :mod:`marketplace_core.testing.settings`)."""

from marketplace_core.testing.settings import settings_for_tests

globals().update(settings_for_tests(plugins=[], name="core"))
