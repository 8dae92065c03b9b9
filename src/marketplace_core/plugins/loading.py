"""Which plugins exist and which are enabled (stevedore).

Installing a plugin distribution makes it *exist*; naming it in
``MARKETPLACE["PLUGINS"]`` *enables* it. Everything here is import-safe before
Django settings are configured, because ``settings.py`` calls
:func:`plugin_apps` to build ``INSTALLED_APPS``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from stevedore import NamedExtensionManager

from marketplace_core.plugins.metadata import ENTRY_POINT_GROUP, PluginInfo


class PluginNotInstalled(ImproperlyConfigured):
    """An enabled plugin name has no installed distribution."""


class PluginLoadError(ImproperlyConfigured):
    """An enabled plugin's entry point failed to import or is not a PluginInfo."""


class PluginConflict(ImproperlyConfigured):
    """Two installed distributions declare the same plugin name."""


@dataclass(frozen=True)
class InstalledPlugin:
    """A plugin entry point found in the environment (not necessarily enabled)."""

    name: str
    entry_point: str
    distribution: str | None
    distribution_version: str | None


def _entry_points() -> dict[str, list[EntryPoint]]:
    """Every plugin entry point by name, read from the environment now.

    The same declaration found twice (one distribution on two ``sys.path``
    entries, as under tox or an editable install next to a wheel) counts once,
    the first on ``sys.path`` winning as for imports; different targets under
    one name are kept so that :func:`load_plugins` can refuse them.
    """
    found: dict[str, list[EntryPoint]] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        same_name = found.setdefault(ep.name, [])
        if all(ep.value != other.value for other in same_name):
            same_name.append(ep)
    return found


def _describe(ep: EntryPoint) -> str:
    dist = ep.dist
    if dist is None:
        return f"unknown distribution ({ep.value})"
    return f"{dist.metadata['Name']} {dist.version} ({ep.value})"


def installed_plugins() -> dict[str, InstalledPlugin]:
    """Every plugin entry point in the environment, by name, without importing any."""
    found: dict[str, InstalledPlugin] = {}
    for name, eps in _entry_points().items():
        ep, dist = eps[0], eps[0].dist
        found[name] = InstalledPlugin(
            name=name,
            entry_point=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            distribution_version=dist.version if dist is not None else None,
        )
    return found


def _raise_missing(missing_names: Iterable[str]) -> None:
    installed = sorted(installed_plugins())
    missing = sorted(missing_names)
    verb = "is" if len(missing) == 1 else "are"
    listing = ", ".join(installed) if installed else "none"
    raise PluginNotInstalled(
        f"MARKETPLACE['PLUGINS'] names {', '.join(missing)}, which {verb} not installed. "
        f"Installed plugins: {listing}. Install the plugin's distribution "
        "(for example marketplace-<name>) or remove the name from the setting."
    )


def _load_failure(name: str, target: str, exc: BaseException) -> PluginLoadError:
    return PluginLoadError(
        f"Plugin {name!r} failed to load from {target!r}: {type(exc).__name__}: {exc}"
    )


def _raise_load_failure(manager: Any, entry_point: EntryPoint, exc: BaseException) -> None:
    """stevedore's ``on_load_failure_callback``: fail loudly, naming the plugin."""
    raise _load_failure(entry_point.name, entry_point.value, exc) from exc


class _PluginExtensionManager(NamedExtensionManager[PluginInfo]):
    """stevedore's named manager for one enabled plugin, fed with entry points read just now.

    stevedore caches a group's entry points for the life of the process (a
    class attribute keyed only by the group) and on disk under
    ``~/.cache/python-entrypoints``, keyed by ``sys.path`` mtimes rounded to
    32-bit floats (about two minutes). Both hide a plugin installed or
    reinstalled (``pip install -e``) in the meantime, so the list is passed in
    (``list_entry_points`` is stevedore's public way to say which to load).
    A failing import reaches ``on_load_failure_callback`` and a missing name
    ``on_missing_entrypoints_callback``.
    """

    def __init__(self, entry_points: list[EntryPoint], name: str,
                 on_missing: Callable[[Iterable[str]], None]) -> None:
        self._given_entry_points = entry_points
        super().__init__(
            namespace=ENTRY_POINT_GROUP,
            names=[name],
            invoke_on_load=False,
            on_load_failure_callback=_raise_load_failure,
            on_missing_entrypoints_callback=on_missing,
        )

    def list_entry_points(self) -> list[EntryPoint]:
        return self._given_entry_points


def _load_one(entry_points: list[EntryPoint], name: str, missing: list[str]) -> PluginInfo | None:
    """The ``PluginInfo`` of plugin ``name``, or ``None`` (and ``name`` added to
    ``missing``) when no entry point declares it."""
    try:
        manager = _PluginExtensionManager(entry_points, name, missing.extend)
    except AssertionError as exc:
        # stevedore hands every other import failure to on_load_failure_callback but
        # re-raises an AssertionError bare; one manager per name tells whose it is.
        target = next(ep.value for ep in entry_points if ep.name == name)
        raise _load_failure(name, target, exc) from exc
    if not manager.extensions:
        return None
    [ext] = manager.extensions
    info = ext.plugin
    if not isinstance(info, PluginInfo):
        raise PluginLoadError(
            f"Plugin {name!r}: entry point {ext.entry_point.value!r} must point at a "
            f"marketplace_core.PluginInfo, not {type(info).__name__}."
        )
    if info.name != name:
        raise PluginLoadError(
            f"Plugin {name!r}: its PluginInfo is named {info.name!r}; the entry-point "
            "name and PluginInfo.name must be the same."
        )
    return info


def load_plugins(names: Sequence[str]) -> list[PluginInfo]:
    """The metadata of the enabled plugins, in the order given.

    Raises :class:`PluginNotInstalled` for a name with no entry point,
    :class:`PluginLoadError` when an entry point cannot be imported or does not
    point at a :class:`PluginInfo` named like the entry point,
    :class:`PluginConflict` when two distributions declare an enabled name, and
    ``ImproperlyConfigured`` for a name listed twice or a setting that is not a
    list of names. Each message names the plugin.
    """
    if (
        isinstance(names, str)
        or not isinstance(names, Sequence)
        or not all(isinstance(n, str) for n in names)
    ):
        raise ImproperlyConfigured(
            f"MARKETPLACE['PLUGINS'] must be a list of plugin names, not {names!r}."
        )
    names = list(names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ImproperlyConfigured(
            f"MARKETPLACE['PLUGINS'] lists {', '.join(duplicates)} more than once."
        )
    if not names:
        return []
    found = _entry_points()
    for name in names:
        if len(found.get(name, [])) > 1:
            claims = "; ".join(_describe(ep) for ep in found[name])
            raise PluginConflict(
                f"Plugin {name!r} is declared by more than one installed distribution: "
                f"{claims}. Uninstall all but one."
            )
    entry_points = [eps[0] for eps in found.values()]
    missing: list[str] = []
    infos: list[PluginInfo] = []
    for name in names:
        info = _load_one(entry_points, name, missing)
        if info is not None:
            infos.append(info)
    if missing:
        _raise_missing(missing)
    return infos


def plugin_apps(names: Sequence[str]) -> list[str]:
    """``INSTALLED_APPS`` entries for the enabled plugins, in the order given.

    Use it in ``settings.py``::

        INSTALLED_APPS = [..., "marketplace_core", *plugin_apps(MARKETPLACE["PLUGINS"])]
    """
    return [info.app for info in load_plugins(names)]
