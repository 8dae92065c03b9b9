"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_core import PluginInfo
from marketplace_licenses import __version__

plugin = PluginInfo(
    name="licenses",
    verbose_name="License keys",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_licenses.apps.LicensesConfig",
    hooks="marketplace_licenses.hooks",
    description="License keys issued on purchase, with a public activation API.",
)
