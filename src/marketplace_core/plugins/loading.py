"""Which plugins exist and which are enabled (stevedore).

Installing a plugin distribution makes it *exist*; naming it in
``MARKETPLACE["PLUGINS"]`` *enables* it. Everything here is import-safe before
Django settings are configured, because ``settings.py`` calls
:func:`plugin_apps` to build ``INSTALLED_APPS``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from stevedore import NamedExtensionManager

from marketplace_core.plugins.metadata import ENTRY_POINT_GROUP, PluginInfo


class PluginNotInstalled(ImproperlyConfigured):
    """An enabled plugin name has no installed distribution."""


class PluginLoadError(ImproperlyConfigured):
    """An enabled plugin's entry point failed to import or is not a PluginInfo."""


@dataclass(frozen=True)
class InstalledPlugin:
    """A plugin entry point found in the environment (not necessarily enabled)."""

    name: str
    entry_point: str
    distribution: str | None
    distribution_version: str | None


def installed_plugins() -> dict[str, InstalledPlugin]:
    """Every plugin entry point in the environment, by name, without importing any."""
    found: dict[str, InstalledPlugin] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        found.setdefault(
            ep.name,
            InstalledPlugin(
                name=ep.name,
                entry_point=ep.value,
                distribution=dist.metadata["Name"] if dist is not None else None,
                distribution_version=dist.version if dist is not None else None,
            ),
        )
    return found


def _raise_missing(missing_names: set[str]) -> None:
    installed = sorted(installed_plugins())
    names = ", ".join(sorted(missing_names))
    listing = ", ".join(installed) if installed else "none"
    raise PluginNotInstalled(
        f"MARKETPLACE['PLUGINS'] names {names}, which is not installed. "
        f"Installed plugins: {listing}. Install the plugin's distribution "
        "(for example marketplace-<name>) or remove the name from the setting."
    )


def _raise_load_failure(manager: Any, entry_point: Any, exc: BaseException) -> None:
    raise PluginLoadError(
        f"Plugin {entry_point.name!r} failed to load from {entry_point.value!r}: "
        f"{type(exc).__name__}: {exc}"
    ) from exc


def load_plugins(names: Sequence[str]) -> list[PluginInfo]:
    """The metadata of the enabled plugins, in the order given.

    Raises :class:`PluginNotInstalled` for a name with no entry point,
    :class:`PluginLoadError` when an entry point cannot be imported or does not
    point at a :class:`PluginInfo` named like the entry point, and
    ``ImproperlyConfigured`` for a name listed twice.
    """
    names = list(names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ImproperlyConfigured(
            f"MARKETPLACE['PLUGINS'] lists {', '.join(duplicates)} more than once."
        )
    if not names:
        return []
    manager: NamedExtensionManager[PluginInfo] = NamedExtensionManager(
        namespace=ENTRY_POINT_GROUP,
        names=names,
        name_order=True,
        invoke_on_load=False,
        on_load_failure_callback=_raise_load_failure,
        on_missing_entrypoints_callback=_raise_missing,
    )
    infos: list[PluginInfo] = []
    for ext in manager.extensions:
        info = ext.plugin
        if not isinstance(info, PluginInfo):
            raise PluginLoadError(
                f"Plugin {ext.name!r}: entry point {ext.entry_point.value!r} must point at a "
                f"marketplace_core.PluginInfo, not {type(info).__name__}."
            )
        if info.name != ext.name:
            raise PluginLoadError(
                f"Plugin {ext.name!r}: its PluginInfo is named {info.name!r}; the entry-point "
                "name and PluginInfo.name must be the same."
            )
        infos.append(info)
    return infos


def plugin_apps(names: Sequence[str]) -> list[str]:
    """``INSTALLED_APPS`` entries for the enabled plugins, in the order given.

    Use it in ``settings.py``::

        INSTALLED_APPS = [..., "marketplace_core", *plugin_apps(MARKETPLACE["PLUGINS"])]
    """
    return [info.app for info in load_plugins(names)]
