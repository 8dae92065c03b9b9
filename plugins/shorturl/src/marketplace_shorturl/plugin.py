"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_core import PluginInfo
from marketplace_shorturl import __version__

plugin = PluginInfo(
    name="shorturl",
    verbose_name="Short URLs",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_shorturl.apps.ShorturlConfig",
    hooks="marketplace_shorturl.hooks",
    # Short links are /s/<slug>; the seller's pages live under /s/manage/.
    url_prefix="s",
    description="Seller-managed short links with cached redirects and exact click counts.",
)
