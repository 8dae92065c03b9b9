"""What is installed, what is enabled, and which hooks each plugin implements."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from marketplace_core.plugins.loading import installed_plugins
from marketplace_core.plugins.manager import CORE_PLUGIN_NAME, enabled_plugins, get_plugin_manager


@dataclass(frozen=True)
class PluginReport:
    name: str
    distribution: str | None
    version: str | None
    enabled: bool
    hooks: list[str]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def plugin_report() -> list[PluginReport]:
    """Core first, then every installed plugin by name; hooks only for enabled ones."""
    from marketplace_core import __version__

    pm = get_plugin_manager()

    def hooks_of(name: str) -> list[str]:
        plugin = pm.get_plugin(name)
        if plugin is None:
            return []
        return sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])

    enabled = {info.name: info for info in enabled_plugins()}
    reports = [
        PluginReport(CORE_PLUGIN_NAME, "marketplace-core", __version__, True,
                     hooks_of(CORE_PLUGIN_NAME))
    ]
    for name, installed in sorted(installed_plugins().items()):
        reports.append(
            PluginReport(
                name=name,
                distribution=installed.distribution,
                version=installed.distribution_version,
                enabled=name in enabled,
                hooks=hooks_of(name) if name in enabled else [],
            )
        )
    return reports
