"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`)."""

from marketplace_core.testing.settings import settings_for_tests

globals().update(settings_for_tests(plugins=["licenses"], name="licenses"))
MARKETPLACE["licenses"] = {"KEY_SECRET": "tests-only-license-key-secret-0123456789"}  # type: ignore[name-defined]  # noqa: F821
