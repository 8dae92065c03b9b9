"""Settings for core's own tests: no plugin enabled, SQLite or PostgreSQL
(see :mod:`marketplace_core.testing.settings`).

``MARKETPLACE_TEST_USER_MODEL`` runs the suite with another user model than
core's ``User``: ``custom_user.Member`` installs the test app
:mod:`tests.custom_user` (tox environment ``core-py313-django6``).

``MARKETPLACE_TYPECHECK_PLUGINS`` (comma-separated) enables those plugins: only for
type-checking core and every plugin in one mypy run (tox environment ``lint``), where
django-stubs needs every plugin's models installed. Core's tests never set it.
"""

import os

from marketplace_core.testing.settings import settings_for_tests

_user_model = os.environ.get("MARKETPLACE_TEST_USER_MODEL", "")
# A SQLite file of its own per user model: the tables differ.
_plugins = [name for name in os.environ.get("MARKETPLACE_TYPECHECK_PLUGINS", "").split(",") if name]
_settings = settings_for_tests(plugins=_plugins,
                               name="core-custom-user" if _user_model else "core")
if _user_model:
    if _user_model.startswith("custom_user."):
        _settings["INSTALLED_APPS"] = [*_settings["INSTALLED_APPS"], "tests.custom_user"]
    _settings["AUTH_USER_MODEL"] = _user_model

globals().update(_settings)
