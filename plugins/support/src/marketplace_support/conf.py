"""Typed, lazy access to ``MARKETPLACE["support"]``.

Example::

    MARKETPLACE["support"] = {"PAGE_SIZE": 20}
"""

from __future__ import annotations

from typing import Any

from marketplace_core.conf import conf as core_conf

NAME = "support"
DEFAULT_PAGE_SIZE = 20


class SupportSettings:
    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    @property
    def PAGE_SIZE(self) -> int:
        """Requests per page on the seller's and the buyer's lists."""
        value = self.raw.get("PAGE_SIZE", DEFAULT_PAGE_SIZE)
        return value if valid_page_size(value) else DEFAULT_PAGE_SIZE


def valid_page_size(value: object) -> bool:
    """A whole number from 1 to 500 (``True`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 500


conf = SupportSettings()
