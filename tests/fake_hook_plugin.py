"""A tiny plugin for tests: hook implementations whose answers tests can see.

Installed with :func:`installed_fake_plugin`; never through entry points, so
it exists only while a test uses it.

- ``resolve_maintenance_bypass`` lets a request through when it carries the
  header ``X-Fake-Bypass: let-me-in`` and abstains otherwise.
- ``resolve_home_url`` sends users whose email starts with ``hooked`` to
  :data:`HOOKED_HOME` and abstains for everyone else (core's default decides).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marketplace_core import PluginInfo, hookimpl

BYPASS_HEADER = "HTTP_X_FAKE_BYPASS"
BYPASS_VALUE = "let-me-in"
HOOKED_HOME = "/products/?from=fake-plugin"

INFO = PluginInfo(
    name="fake_hooks",
    verbose_name="Fake hooks for tests",
    version="0.0.0",
    compatibility="marketplace-core>=0",
    app="tests",
    hooks=__name__,
)


@hookimpl
def resolve_maintenance_bypass(request: Any) -> bool | None:
    if request.META.get(BYPASS_HEADER) == BYPASS_VALUE:
        return True
    return None


@hookimpl
def resolve_home_url(user: Any) -> str | None:
    if user.email.startswith("hooked"):
        return HOOKED_HOME
    return None


@contextmanager
def installed_fake_plugin() -> Iterator[None]:
    """Enable this module as a plugin, then restore the previous manager."""
    from marketplace_core.plugins import manager

    previous = manager.enabled_plugins()
    manager.install([*previous, INFO])
    try:
        yield
    finally:
        manager.install(previous)
