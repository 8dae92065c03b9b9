"""Hooks the support plugin adds; other plugins implement them as optional hooks
(``@hookimpl(optionalhook=True)``) so they still load without this plugin."""

from __future__ import annotations

from typing import Any

from marketplace_core import hookspec


@hookspec
def support_request_created(support_request: Any) -> None:
    """A buyer opened a support request.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param support_request: The new ``marketplace_support.SupportRequest``.
    """


@hookspec
def support_request_status_changed(support_request: Any, old_status: str) -> None:
    """A support request moved to another status.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param support_request: The request, with its new ``status``.
    :param old_status: The status it had before.
    """
