"""Marketplace core: a plugin-based Django framework for selling digital products.

Import-safe before Django is configured: plugin metadata modules import
:data:`hookimpl` and :class:`PluginInfo` from here while settings are still loading.
"""

from marketplace_core.plugins.markers import hookimpl, hookspec
from marketplace_core.plugins.metadata import PluginInfo

__version__ = "0.1.0"

__all__ = ["PluginInfo", "__version__", "hookimpl", "hookspec"]
