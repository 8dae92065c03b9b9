"""Hooks the support plugin adds; other plugins implement them as optional hooks
(``@hookimpl(optionalhook=True)``) so they still load without this plugin.

What a listener may read from ``support_request`` (a
``marketplace_support.models.SupportRequest``): ``pk``, ``subject``,
``message``, ``status`` (``"pending"``, ``"in_progress"``, ``"completed"``,
``"cancelled"``), ``get_status_display()``, ``meeting_link`` (``""`` or an
``https://`` URL), ``created_at``, ``product`` and ``buyer`` (core's
``Product`` and ``User``), and ``get_seller_url()`` (the path of the seller's
page for it). ``admin_notes`` are the seller's private notes: do not pass them
on to anyone else.
"""

from __future__ import annotations

from typing import Any

from marketplace_core import hookspec

# -------------------------------------------------------------------------
# support requests
# -------------------------------------------------------------------------


@hookspec
def support_request_created(support_request: Any) -> None:
    """A buyer opened a support request.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param support_request: The new ``marketplace_support.SupportRequest`` (pending).
    """


@hookspec
def support_request_status_changed(support_request: Any, old_status: str) -> None:
    """A support request moved to another status (see ``docs/support.md``).

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param support_request: The request, with its new ``status``.
    :param old_status: The status it had before.
    """
