"""Typed, lazy access to ``MARKETPLACE["support"]``.

Example::

    MARKETPLACE["support"] = {"PAGE_SIZE": 20, "MESSAGE_RATE_LIMIT": "20/10m"}
"""

from __future__ import annotations

from typing import Any

from marketplace_core.accounts.throttling import parse_rate
from marketplace_core.conf import conf as core_conf

NAME = "support"
DEFAULT_PAGE_SIZE = 20
#: Messages one user may write (each one sends an email) per window.
DEFAULT_MESSAGE_RATE_LIMIT = "20/10m"


class SupportSettings:
    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    @property
    def PAGE_SIZE(self) -> int:
        """Requests per page on the seller's and the buyer's lists."""
        value = self.raw.get("PAGE_SIZE", DEFAULT_PAGE_SIZE)
        return value if valid_page_size(value) else DEFAULT_PAGE_SIZE

    @property
    def MESSAGE_RATE_LIMIT(self) -> tuple[int, int]:
        """(messages, seconds): how many messages one user may write per window."""
        rate = parse_rate(self.raw.get("MESSAGE_RATE_LIMIT", DEFAULT_MESSAGE_RATE_LIMIT))
        return rate or parse_rate(DEFAULT_MESSAGE_RATE_LIMIT) or (20, 600)


def valid_page_size(value: object) -> bool:
    """A whole number from 1 to 500 (``True`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 500


conf = SupportSettings()
