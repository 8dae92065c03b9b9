"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`).

Also the settings of the Celery worker some tests start (``tests.worker_app``):
``CELERY_BROKER_URL`` points it at a real broker (tasks are not eager then),
and ``TEST_TELEGRAM_*`` variables configure the plugin to talk to the fake Bot API.
The test process sets neither and configures the plugin per test.
"""

import os

from marketplace_core.testing.settings import settings_for_tests

_settings = settings_for_tests(plugins=["notify_telegram"], name="notify_telegram")
if os.environ.get("TEST_TELEGRAM_BOT_TOKEN"):
    _settings["MARKETPLACE"]["notify_telegram"] = {
        "BOT_TOKEN": os.environ["TEST_TELEGRAM_BOT_TOKEN"],
        "CHAT_ID": os.environ.get("TEST_TELEGRAM_CHAT_ID", ""),
        "API_URL": os.environ.get("TEST_TELEGRAM_API_URL") or None,
        "RETRY_BACKOFF": float(os.environ.get("TEST_TELEGRAM_RETRY_BACKOFF", "2")),
        "MAX_RETRIES": int(os.environ.get("TEST_TELEGRAM_MAX_RETRIES", "5")),
    }
globals().update(_settings)
