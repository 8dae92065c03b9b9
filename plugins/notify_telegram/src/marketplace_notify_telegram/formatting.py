"""A notification as Telegram HTML: escaped text, a bold title, an optional link.

The message is sent with ``parse_mode="HTML"``, so every ``<``, ``>`` and ``&``
that is not markup must be an entity (``html.escape``): a product called
``<Deluxe> & Co`` arrives as written, and a buyer's message cannot inject
markup or links. Telegram refuses messages over 4096 characters (counted after
entities are parsed, in UTF-16 code units); the body is shortened to fit.
"""

from __future__ import annotations

import html

from marketplace_core.notifications.channels import Notification

PARSE_MODE = "HTML"
MAX_LENGTH = 4096
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Text for Telegram's HTML parse mode (quotes too, so it is safe in attributes)."""
    return html.escape(text, quote=True)


def render(notification: Notification) -> str:
    """The message text for ``notification`` in Telegram's HTML parse mode."""
    title = _shorten(notification.title.strip(), 256)
    link = ""
    if notification.url.startswith(("https://", "http://")):
        link = f'\n\n<a href="{escape(notification.url)}">{escape("Open")}</a>'
    # Telegram counts the text as displayed: tags and entities do not count.
    room = MAX_LENGTH - _units(title) - (_units("\n\nOpen") if link else 0) - _units("\n\n")
    body = _shorten(notification.body.strip(), room)
    parts = [f"<b>{escape(title)}</b>"]
    if body:
        parts.append(escape(body))
    return "\n\n".join(parts) + link


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def _shorten(text: str, limit: int) -> str:
    if _units(text) <= limit:
        return text
    keep = text.encode("utf-16-le")[: max(limit - _units(ELLIPSIS), 0) * 2]
    # errors="ignore" drops half of a surrogate pair cut in two.
    return keep.decode("utf-16-le", errors="ignore").rstrip() + ELLIPSIS
