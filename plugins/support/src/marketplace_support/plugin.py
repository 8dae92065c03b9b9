"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_core import PluginInfo
from marketplace_support import __version__

plugin = PluginInfo(
    name="support",
    verbose_name="Support requests",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_support.apps.SupportConfig",
    hooks="marketplace_support.hooks",
    hookspecs="marketplace_support.hookspecs",
    description="Support requests from buyers to the sellers of products they own.",
)
