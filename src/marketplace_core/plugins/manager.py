"""The pluggy plugin manager: how core calls plugins.

The manager is built once, in ``MarketplaceCoreConfig.ready()``, never at import
time. Core's own default implementations are registered first and the enabled
plugins after them in reverse settings order; pluggy calls the last registered
first, so the first plugin listed in ``MARKETPLACE["PLUGINS"]`` runs first and
core's defaults run last.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy
from django.core.exceptions import ImproperlyConfigured
from pluggy import HookImpl

from marketplace_core.exceptions import PluginError
from marketplace_core.plugins import hookspecs
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
    pm.register(importlib.import_module(DEFAULTS_MODULE), name=CORE_PLUGIN_NAME)
    for info in reversed(enabled):
        module = _import(info.hooks, info.name, "hooks")
        try:
            pm.register(module, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            # ValueError: the module is already registered under another name.
            raise PluginError(f"Plugin {info.name!r}: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) if exc.plugin is not None else "?"
        raise PluginError(f"Plugin {name!r}: {exc}") from exc
    if tracing_enabled():
        enable_tracing(pm)
    return pm


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


def implementations(hook_name: str) -> list[HookImpl]:
    """The implementations of ``hook_name`` in call order (wrappers left out).

    For callers that must call plugins one at a time (to know which plugin
    answered, or to isolate failures); call each with :func:`call_impl`, or
    all of them with :func:`call_each`.
    """
    caller = getattr(get_plugin_manager().hook, hook_name)
    # get_hookimpls() lists in reverse call order (pluggy calls the last first).
    return [
        impl for impl in reversed(caller.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)
    ]


def call_impl(impl: HookImpl, hook_name: str, kwargs: Mapping[str, Any]) -> Any:
    """Call one implementation with the arguments it accepts, traced like a hook call."""
    trace = tracing_enabled()
    if trace:
        sys.stderr.write(f"[marketplace hook] {hook_name}({sorted(kwargs)}) -> "
                         f"[{impl.plugin_name}]\n")
    try:
        result = impl.function(**{name: kwargs[name] for name in impl.argnames})
    except Exception as exc:
        if trace:
            sys.stderr.write(f"[marketplace hook] {hook_name} raised {exc!r}\n")
        raise
    if trace:
        sys.stderr.write(f"[marketplace hook] {hook_name} returned {result!r}\n")
    return result


@dataclass(frozen=True)
class Answers:
    """What :func:`call_each` got from the implementations of a hook."""

    #: Each implementation's return value (``None`` included), in call order.
    results: list[Any] = field(default_factory=list)
    #: The names of the plugins whose implementation raised, in call order.
    failed: list[str] = field(default_factory=list)


def call_each(hook_name: str, kwargs: Mapping[str, Any], *, logger: logging.Logger,
              failing: str, impls: Iterable[HookImpl] | None = None) -> Answers:
    """Call each implementation of ``hook_name`` (or of ``impls``, looked up once by
    the caller with :func:`implementations`) with :func:`call_impl`.

    One that raises is logged on ``logger`` with its traceback, as "Plugin
    'name' failed <failing>", and skipped; the others are still called.
    """
    answers = Answers()
    for impl in implementations(hook_name) if impls is None else impls:
        try:
            answers.results.append(call_impl(impl, hook_name, kwargs))
        except Exception:
            answers.failed.append(impl.plugin_name)
            logger.exception("Plugin %r failed %s", impl.plugin_name, failing)
    return answers


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
            from marketplace_core.plugins import registry

            registry.clear()
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
