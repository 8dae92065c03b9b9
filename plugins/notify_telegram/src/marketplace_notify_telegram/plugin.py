"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_core import PluginInfo
from marketplace_notify_telegram import __version__

plugin = PluginInfo(
    name="notify_telegram",
    verbose_name="Telegram notifications",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_notify_telegram.apps.NotifyTelegramConfig",
    hooks="marketplace_notify_telegram.hooks",
    url_prefix="telegram",
    description="Notifications through the Telegram Bot API.",
)
