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

What a listener may read from ``message`` (a
``marketplace_support.models.SupportMessage``): ``pk``, ``body`` (plain text,
as written: escape it wherever it is shown), ``author`` (core's ``User``),
``author_role`` (``"buyer"`` or ``"seller"``), ``recipient_role`` (the other
side), ``created_at`` and ``support_request`` (as above; its
``url_for(role)`` is the path of that side's page of the request).
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


@hookspec
def support_message_posted(message: Any) -> None:
    """The buyer or the seller wrote a message in a support request's conversation.

    Event: delivered after commit, isolated, may repeat; return value ignored. The
    plugin itself emails the other side (``support.email_message``); a listener
    adds other channels (a Telegram message to the seller, say).

    :param message: The new ``marketplace_support.SupportMessage``.
    """
