"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_analytics_ga4 import __version__
from marketplace_core import PluginInfo

plugin = PluginInfo(
    name="analytics_ga4",
    verbose_name="Google Analytics 4",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_analytics_ga4.apps.AnalyticsGA4Config",
    hooks="marketplace_analytics_ga4.hooks",
    description="Seller traffic from the GA4 Data API; purchase and refund events "
                "through the Measurement Protocol.",
)
