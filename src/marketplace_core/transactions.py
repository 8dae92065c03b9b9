"""Work that runs after the surrounding transaction commits, and must not break it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any


def after_commit(func: Callable[..., Any], *args: Any, using: str | None = None,
                 **kwargs: Any) -> None:
    """Call ``func(*args, **kwargs)`` once the transaction on ``using`` commits
    (at once in autocommit), robustly: if it raises, the error is logged and the
    caller's other ``on_commit`` callbacks and its response go on.

    Use it instead of ``on_commit(partial(...), robust=True)``: Django 5.2 logs a
    failing robust callback by its ``__qualname__``, which a bare ``partial`` lacks,
    so the log call itself raised ``AttributeError`` and turned the failure into a 500.
    """
    from django.db import transaction

    callback = update_wrapper(partial(func, *args, **kwargs), func)
    transaction.on_commit(callback, using=using, robust=True)
