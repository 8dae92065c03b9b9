"""What a plugin says about itself, readable before Django starts.

Each plugin distribution declares one entry point in the ``marketplace.plugins``
group whose target is a :class:`PluginInfo`. The object is plain data: building
it must not import Django models, settings or the plugin's own hook module, so
``settings.py`` can discover plugins while settings are still being read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ENTRY_POINT_GROUP = "marketplace.plugins"

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PluginInfo:
    """Metadata of one plugin.

    ``name`` is the plugin's one name everywhere: entry-point name, Django app
    label, plugin-manager name, URL namespace, settings key under ``MARKETPLACE``,
    system-check id prefix and logger name.
    """

    name: str
    verbose_name: str
    version: str
    #: Which ``marketplace-core`` versions this plugin works with, as a PEP 440
    #: requirement such as ``"marketplace-core>=0.1,<0.2"``.
    compatibility: str
    #: Dotted path of the plugin's Django app (its AppConfig or package).
    app: str
    #: Dotted path of the module holding the plugin's ``@hookimpl`` functions.
    hooks: str
    #: Dotted path of a module with hook specifications the plugin adds, if any.
    hookspecs: str | None = None
    #: Path prefix the plugin's URL patterns are mounted under; defaults to ``name``
    #: (``""`` mounts them at the site root).
    url_prefix: str | None = None
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(
                f"Plugin name {self.name!r} must be a lowercase Python identifier "
                "(it is also the Django app label and URL namespace)."
            )

    @property
    def mount_prefix(self) -> str:
        """The URL path prefix (no slashes) for this plugin's URL patterns."""
        return (self.url_prefix if self.url_prefix is not None else self.name).strip("/")
