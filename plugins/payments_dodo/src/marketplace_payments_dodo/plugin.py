"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_core import PluginInfo
from marketplace_payments_dodo import __version__

plugin = PluginInfo(
    name="payments_dodo",
    verbose_name="Dodo Payments",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_payments_dodo.apps.PaymentsDodoConfig",
    hooks="marketplace_payments_dodo.hooks",
    description="Dodo Payments checkout and signed webhooks.",
)
