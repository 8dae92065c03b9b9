"""Event hooks: delivered after commit, each implementation isolated.

Core services call :func:`emit` inside their transaction. Nothing is delivered
if the transaction rolls back; once it commits, the event hook is called through
``pm.hook`` (hook wrappers and tracing see it), every implementation in plugin
order, and an exception in one is logged (with the plugin's name) without
stopping the others. Deliveries are at-most-once per commit in-process;
implementations that need durability enqueue a Celery task.
"""

from __future__ import annotations

import logging
from typing import Any

from marketplace_core.plugins.manager import call_each, get_plugin_manager
from marketplace_core.transactions import after_commit

logger = logging.getLogger("marketplace_core.events")


def emit(hook_name: str, *, using: str | None = None, **kwargs: Any) -> None:
    """Deliver event ``hook_name`` with ``kwargs`` once the transaction commits.

    Outside a transaction (autocommit) the event is delivered at once. An
    unknown event name (``ValueError``) or arguments that differ from the
    hookspec's (``TypeError``) fail here, inside the caller's transaction, not
    after it has committed.
    """
    caller = getattr(get_plugin_manager().hook, hook_name, None)
    spec = getattr(caller, "spec", None)
    if spec is None:
        raise ValueError(f"There is no event hook named {hook_name!r}.")
    if spec.opts.get("firstresult"):
        raise ValueError(f"{hook_name!r} is a firstresult hook, not an event.")
    missing = sorted(set(spec.argnames) - set(kwargs))
    unexpected = sorted(set(kwargs) - set(spec.argnames))
    if missing or unexpected:
        raise TypeError(
            f"Event {hook_name!r} takes {', '.join(spec.argnames)}; "
            f"missing: {missing or 'none'}, unexpected: {unexpected or 'none'}."
        )
    # robust: nothing here may break the caller's other on_commit callbacks.
    after_commit(deliver, hook_name, kwargs, using=using)


def deliver(hook_name: str, kwargs: dict[str, Any]) -> list[str]:
    """Call event hook ``hook_name`` now, each implementation isolated.

    Returns the names of the plugins whose implementation raised.
    """
    return call_each(hook_name, kwargs, logger=logger,
                     failing=f"while handling event {hook_name!r}").failed
