"""The integration settings with the example site configured for Telegram.

The example site enables ``notify_telegram`` when ``TELEGRAM_BOT_TOKEN`` is set
(``support`` is on by default); this module sets that environment before
loading it, with ``TELEGRAM_API_URL`` pointing at a free loopback port where the
tests start the fake Bot API (:class:`marketplace_notify_telegram.testing.FakeBotAPI`).
Celery workers the tests start inherit the same environment.

Run: ``pytest integration/telegram --ds=integration.settings_telegram
--marketplace-db=postgres --marketplace-redis`` (``integration/test_telegram_example_site.py``
does it).
"""

import os

from marketplace_core.testing.servers import free_port

os.environ.setdefault("TELEGRAM_FAKE_PORT", str(free_port()))
os.environ.update({
    "TELEGRAM_BOT_TOKEN": "7000000001:integration-fake-bot-token-0123456789",
    "TELEGRAM_CHAT_ID": "-1001234567890",
    "TELEGRAM_API_URL": f"http://127.0.0.1:{os.environ['TELEGRAM_FAKE_PORT']}",
})
os.environ.pop("TELEGRAM_THREAD_ID", None)
os.environ.pop("MARKETPLACE_PLUGINS", None)

from integration.settings import *  # noqa: F403
