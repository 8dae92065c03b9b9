"""Event hooks: delivered after commit, each implementation isolated.

Core services call :func:`emit` inside their transaction. Nothing is delivered
if the transaction rolls back; once it commits, every implementation of the
event hook is called in plugin order, and an exception in one is logged (with
the plugin's name) without stopping the others. Deliveries are at-most-once per
commit in-process; implementations that need durability enqueue a Celery task.
"""

from __future__ import annotations

import logging
import sys
from functools import partial
from typing import Any

from django.db import transaction

from marketplace_core.plugins.manager import get_plugin_manager, tracing_enabled

logger = logging.getLogger("marketplace_core.events")


def emit(hook_name: str, *, using: str | None = None, **kwargs: Any) -> None:
    """Deliver event ``hook_name`` with ``kwargs`` once the transaction commits.

    Outside a transaction (autocommit) the event is delivered at once.
    """
    transaction.on_commit(partial(deliver, hook_name, kwargs), using=using)


def deliver(hook_name: str, kwargs: dict[str, Any]) -> list[str]:
    """Call every implementation of ``hook_name`` now, isolating failures.

    Returns the names of the plugins whose implementation raised.
    """
    caller = getattr(get_plugin_manager().hook, hook_name)
    failed: list[str] = []
    # get_hookimpls() lists in reverse call order (pluggy calls the last first).
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        args = {name: kwargs[name] for name in impl.argnames}
        if tracing_enabled():
            sys.stderr.write(f"[marketplace event] {hook_name} -> {impl.plugin_name}\n")
        try:
            impl.function(**args)
        except Exception:
            failed.append(impl.plugin_name)
            logger.exception(
                "Plugin %r failed while handling event %r", impl.plugin_name, hook_name
            )
    return failed
