"""How a person is named on pages and in emails, for any user model.

In order: the name chosen in the shop (:func:`.records.shop_name`), the user
model's ``get_full_name()``/``get_short_name()`` where present, the email
address, the login name. In a list, select the rows with the users
(:func:`.records.person_related`) so that naming costs no query per row.
"""

from __future__ import annotations

from typing import Any

from marketplace_core.people.records import shop_name
from marketplace_core.people.users import email_of


def _call(user: Any, method: str) -> str:
    value = getattr(user, method, None)
    return str(value() or "").strip() if callable(value) else ""


def _fallback(user: Any) -> str:
    return email_of(user) or _call(user, "get_username")


def display_name(user: Any) -> str:
    """The person's full name as shown to others (never empty for a saved user)."""
    if user is None or getattr(user, "pk", None) is None:
        return ""
    return shop_name(user).strip() or _call(user, "get_full_name") or _fallback(user)


def short_name(user: Any) -> str:
    """What to call the person ("Hello Ada"): the first word of the shop name,
    else ``get_short_name()``, else the address or login name."""
    if user is None or getattr(user, "pk", None) is None:
        return ""
    words = shop_name(user).split()
    return words[0] if words else (_call(user, "get_short_name") or _fallback(user))
