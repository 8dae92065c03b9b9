"""Whose answer is whose, and failures kept to their plugin, in calls through ``pm.hook``.

pluggy calls a hook's implementations one after another, stops at the first
exception and returns the non-``None`` answers without saying whose they are.
Some of core's calls need more: events and per-request contributions go on
without a failing plugin, and registrations name the plugin in errors (and mount
its URLs under its name). The call itself still goes through
``pm.hook.<name>(...)``, so hook wrappers and tracing see it as any other; each
implementation reports to the call it is part of:

- :func:`adapt` turns a hook module into what the manager registers: the same
  hook implementations, each wrapped to report to the call in progress (hook
  wrappers, which wrap the whole call, are kept as they are).
- :func:`recording` marks a call of one hook in progress. While it lasts, each
  wrapped implementation of that hook records ``(plugin, answer)``, or, when the
  call isolates failures, records ``(plugin, exception)`` and answers ``None``
  instead of raising (``None`` answers are left out of pluggy's result).

Outside :func:`recording`, and for the hooks an implementation calls in turn,
a wrapped implementation behaves exactly as the original.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pluggy


@dataclass
class Recording:
    """What the implementations of ``hook_name`` reported during one call, in call order."""

    hook_name: str
    isolate: bool
    #: ``(plugin name, answer)`` of every implementation that returned (``None`` included).
    answers: list[tuple[str, Any]] = field(default_factory=list)
    #: ``(plugin name, exception)`` of every implementation that raised (``isolate`` only).
    failures: list[tuple[str, Exception]] = field(default_factory=list)


_current: ContextVar[Recording | None] = ContextVar("marketplace_hook_recording", default=None)


@contextmanager
def recording(hook_name: str, *, isolate: bool) -> Iterator[Recording]:
    """Record the implementations of ``hook_name`` called inside the block."""
    record = Recording(hook_name, isolate)
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def _reporting(function: Callable[..., Any], plugin_name: str,
               hook_name: str) -> Callable[..., Any]:
    # functools.wraps keeps the name, the hookimpl options and (through __wrapped__)
    # the signature pluggy reads the argument names from.
    @functools.wraps(function)
    def reporting(*args: Any, **kwargs: Any) -> Any:
        record = _current.get()
        if record is None or record.hook_name != hook_name:
            return function(*args, **kwargs)
        token = _current.set(None)  # the hooks this implementation calls are calls of their own
        try:
            answer = function(*args, **kwargs)
        except Exception as exc:
            if not record.isolate:
                raise
            record.failures.append((plugin_name, exc))
            return None
        finally:
            _current.reset(token)
        record.answers.append((plugin_name, answer))
        return answer

    return reporting


class AdaptedPlugin:
    """A plugin as the manager registers it: the plugin's hook implementations as
    attributes, each wrapped by :func:`adapt`; the plugin itself is ``plugin``."""

    def __init__(self, plugin: object, implementations: dict[str, Callable[..., Any]]):
        self.plugin = plugin
        self.__dict__.update(implementations)

    def __repr__(self) -> str:
        return f"<hooks of {self.plugin!r}>"


def adapt(pm: pluggy.PluginManager, plugin: object, plugin_name: str) -> AdaptedPlugin:
    """What to register with ``pm`` for the hook implementations of ``plugin`` (a
    hook module, or an object whose methods are hook implementations)."""
    implementations: dict[str, Callable[..., Any]] = {}
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        function = getattr(plugin, attr)
        if opts.get("wrapper") or opts.get("hookwrapper"):
            implementations[attr] = function
        else:
            implementations[attr] = _reporting(function, plugin_name,
                                               opts.get("specname") or attr)
    return AdaptedPlugin(plugin, implementations)

