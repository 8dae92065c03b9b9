"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`).

The Dodo options here are placeholders that pass the system checks; the
``dodo`` fixture (``conftest.py``) points them at a fake Dodo server for each
test.
"""

from marketplace_core.testing.settings import settings_for_tests

_settings = settings_for_tests(plugins=["payments_dodo"], name="payments_dodo")
_settings["MARKETPLACE"].update(
    PAYMENT_PROVIDER="dodo",
    payments_dodo={
        "API_KEY": "placeholder-until-the-fake-starts",
        "WEBHOOK_SECRETS": ["whsec_cGxhY2Vob2xkZXItdW50aWwtdGhlLWZha2Utc3RhcnRz"],
        "ENVIRONMENT": "test_mode",
        "BASE_URL": "http://127.0.0.1:9",
    },
)
globals().update(_settings)
