"""The pluggy plugin manager: how core calls plugins.

The manager is built once, in ``MarketplaceCoreConfig.ready()``, never at import
time. Core's own default implementations are registered first and the enabled
plugins after them in reverse settings order; pluggy calls the last registered
first, so the first plugin listed in ``MARKETPLACE["PLUGINS"]`` runs first and
core's defaults run last.

Every hook is called through ``pm.hook.<name>(...)``, so hook wrappers and
tracing see every call. :func:`call` and :func:`call_each` call a hook that way
and also say which plugin gave which answer, or which plugin failed (see
:mod:`marketplace_core.plugins.isolation`).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy
from django.core.exceptions import ImproperlyConfigured
from pluggy import HookImpl

from marketplace_core.exceptions import PluginError
from marketplace_core.plugins import hookspecs
from marketplace_core.plugins.isolation import AdaptedPlugin, adapt, recording
from marketplace_core.plugins.markers import PROJECT_NAME
from marketplace_core.plugins.metadata import PluginInfo

#: Set to 1 to write every hook call and its result to standard error.
TRACE_ENV_VAR = "MARKETPLACE_TRACE_HOOKS"
CORE_PLUGIN_NAME = "marketplace_core"
DEFAULTS_MODULE = "marketplace_core.plugins.defaults"

_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None
_enabled: tuple[PluginInfo, ...] = ()


def _import(dotted: str, plugin: str, what: str) -> Any:
    try:
        return importlib.import_module(dotted)
    except Exception as exc:
        raise PluginError(
            f"Plugin {plugin!r}: cannot import its {what} module {dotted!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def build_plugin_manager(enabled: Sequence[PluginInfo]) -> pluggy.PluginManager:
    """A new manager with core's specs and defaults plus the ``enabled`` plugins.

    Raises :class:`PluginError` naming the plugin when its modules cannot be
    imported, its hookspecs module declares no hookspec, it takes core's name
    or another plugin's hook module, a hook implementation does not match its
    specification, or it implements a hook that no specification declares.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for info in enabled:
        if info.name == CORE_PLUGIN_NAME:
            raise PluginError(f"Plugin {info.name!r}: that name is reserved for core.")
        if info.hookspecs:
            module = _import(info.hookspecs, info.name, "hookspecs")
            try:
                pm.add_hookspecs(module)
            except ValueError as exc:  # no hookspec found in the module
                raise PluginError(f"Plugin {info.name!r}: {exc}") from exc
    register(pm, importlib.import_module(DEFAULTS_MODULE), CORE_PLUGIN_NAME)
    for info in reversed(enabled):
        register(pm, _import(info.hooks, info.name, "hooks"), info.name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) if exc.plugin is not None else "?"
        raise PluginError(f"Plugin {name!r}: {exc}") from exc
    if tracing_enabled():
        enable_tracing(pm)
    return pm


def register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register the hook implementations of ``plugin`` (a hook module or an object)
    with ``pm`` as plugin ``name``.

    The way to add a plugin to a marketplace manager (rather than
    ``pm.register``): the implementations are adapted
    (:func:`~marketplace_core.plugins.isolation.adapt`) so that :func:`call` can
    tell whose answer is whose and isolate failures. Raises :class:`PluginError`
    naming the plugin when an implementation does not match its specification
    or ``plugin`` is registered already.
    """
    for other in pm.get_plugins():
        if isinstance(other, AdaptedPlugin) and other.plugin is plugin:
            raise PluginError(
                f"Plugin {name!r}: {plugin!r} is already registered as plugin "
                f"{pm.get_name(other)!r}."
            )
    try:
        pm.register(adapt(pm, plugin, name), name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        # ValueError: the name is taken.
        raise PluginError(f"Plugin {name!r}: {exc}") from exc


def enable_tracing(pm: pluggy.PluginManager) -> None:
    """Write each hook call, the implementations called and the result to stderr."""

    def before(hook_name: str, hook_impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> None:
        impls = ", ".join(impl.plugin_name for impl in reversed(hook_impls))
        sys.stderr.write(f"[marketplace hook] {hook_name}({sorted(kwargs)}) -> [{impls}]\n")

    def after(
        outcome: pluggy.Result[Any],
        hook_name: str,
        hook_impls: Sequence[HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        exc = outcome.exception
        result = f"raised {exc!r}" if exc is not None else f"returned {outcome.get_result()!r}"
        sys.stderr.write(f"[marketplace hook] {hook_name} {result}\n")

    pm.add_hookcall_monitoring(before, after)


def tracing_enabled() -> bool:
    """Whether :data:`TRACE_ENV_VAR` asks for hook tracing (any value but off-words)."""
    return os.environ.get(TRACE_ENV_VAR, "").strip().lower() not in ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class HookCall:
    """What one call of a hook through ``pm.hook`` gave (see :func:`call`)."""

    #: What ``pm.hook.<name>(...)`` returned, after any hook wrappers: the list of
    #: the non-``None`` answers in call order (one value for a ``firstresult`` hook).
    result: Any
    #: ``(plugin name, answer)`` of each implementation that answered, in call order.
    answers: list[tuple[str, Any]]
    #: ``(plugin name, exception)`` of each implementation that raised (isolated calls).
    failures: list[tuple[str, Exception]]

    @property
    def failed(self) -> list[str]:
        """The names of the plugins whose implementation raised, in call order."""
        return [plugin for plugin, _ in self.failures]


def call(hook_name: str, kwargs: Mapping[str, Any], *, isolate: bool = False) -> HookCall:
    """Call ``pm.hook.<hook_name>(**kwargs)`` and note whose answer is whose.

    With ``isolate``, an implementation that raises is skipped (noted in
    :attr:`HookCall.failures`) and the others are still called; without it, the
    exception propagates as from any hook call. Hook wrappers and tracing see
    the call either way.
    """
    caller = getattr(hook(), hook_name)
    for impl in caller.get_hookimpls():
        if not (impl.wrapper or impl.hookwrapper or isinstance(impl.plugin, AdaptedPlugin)):
            raise PluginError(
                f"Plugin {impl.plugin_name!r} was registered with pm.register(); register it "
                "with marketplace_core.plugins.manager.register() so that core can isolate "
                f"its failures and tell its answers to {hook_name!r} apart."
            )
    with recording(hook_name, isolate=isolate) as record:
        result = caller(**kwargs)
    if record.failures and tracing_enabled():
        for plugin, exc in record.failures:
            sys.stderr.write(f"[marketplace hook] {hook_name}: {plugin} raised {exc!r} "
                             "(isolated)\n")
    return HookCall(result, record.answers, record.failures)


def call_each(hook_name: str, kwargs: Mapping[str, Any], *, logger: logging.Logger,
              failing: str) -> HookCall:
    """:func:`call` ``hook_name`` isolating failures, each logged on ``logger`` with
    its traceback as "Plugin 'name' failed <failing>"."""
    called = call(hook_name, kwargs, isolate=True)
    for plugin, exc in called.failures:
        logger.error("Plugin %r failed %s", plugin, failing, exc_info=exc)
    return called


def install(enabled: Sequence[PluginInfo]) -> pluggy.PluginManager:
    """Build the manager for ``enabled`` and make it the process-wide one.

    Idempotent: calling it again with the same plugins keeps the existing manager.
    """
    global _manager, _enabled
    with _lock:
        key = tuple(enabled)
        if _manager is None or key != _enabled:
            _manager = build_plugin_manager(enabled)
            _enabled = key
        return _manager


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, built by ``AppConfig.ready()``."""
    if _manager is None:
        raise ImproperlyConfigured(
            "The marketplace plugin manager is not built yet: add 'marketplace_core' to "
            "INSTALLED_APPS and call it after django.setup()."
        )
    return _manager


def enabled_plugins() -> tuple[PluginInfo, ...]:
    """Metadata of the enabled plugins, in settings order."""
    return _enabled


def hook() -> Any:
    """Shortcut for ``get_plugin_manager().hook``."""
    return get_plugin_manager().hook
