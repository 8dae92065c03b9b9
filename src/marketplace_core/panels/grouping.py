"""Plugins' per-page answers grouped by the object they are about."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from marketplace_core.plugins.manager import call_each

logger = logging.getLogger("marketplace_core.panels")

T = TypeVar("T")


def grouped_answers(hook_name: str, kwargs: Mapping[str, Any], ids: Iterable[int],
                    key: Callable[[T], int], *, failing: str) -> dict[int, list[T]]:
    """Call ``hook_name`` once and group the items of every plugin's list by ``key(item)``.

    Every id of ``ids`` is in the result (an empty list when nothing is about it);
    items about other ids are dropped; a plugin that raises is logged ("Plugin
    'name' failed <failing>") and left out, and one that answers something other
    than a list is logged and ignored. With no ids, no plugin is called.
    """
    grouped: dict[int, list[T]] = {pk: [] for pk in ids}
    if not grouped:
        return grouped
    answers = call_each(hook_name, kwargs, logger=logger, failing=failing)
    for items in answers.result:
        if not isinstance(items, list | tuple):
            if items is not None:  # a plugin's bug must not break the page
                logger.error("A plugin answered %s with something that is not a list: %r",
                             hook_name, items)
            continue
        for item in items:
            try:
                pk = key(item)
            except AttributeError:
                logger.error("A plugin answered %s with an item of the wrong type: %r",
                             hook_name, item)
                continue
            if pk in grouped:
                grouped[pk].append(item)
    return grouped
