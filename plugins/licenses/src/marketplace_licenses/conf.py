"""Typed, lazy access to ``MARKETPLACE["licenses"]``.

Example::

    MARKETPLACE["licenses"] = {
        "KEY_SECRET": os.environ["LICENSE_KEY_SECRET"],
        "ADDRESS_RATE_LIMIT": "60/1m",
        "KEY_RATE_LIMIT": "20/1m",
    }
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from marketplace_core.accounts.throttling import parse_rate
from marketplace_core.conf import conf as core_conf

NAME = "licenses"
#: Requests to the license API one client address may make per window.
DEFAULT_ADDRESS_RATE_LIMIT = "60/1m"
#: Requests naming one license key (right or wrong) per window, from anywhere.
DEFAULT_KEY_RATE_LIMIT = "20/1m"
DEFAULT_PAGE_SIZE = 50
#: The shortest ``KEY_SECRET`` accepted (characters).
MIN_SECRET_LENGTH = 32


class LicensesSettings:
    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    @property
    def KEY_SECRET(self) -> str:
        """The secret keys are derived from and hashed with.

        Falls back to ``SECRET_KEY`` (``licenses.W001`` warns): every key then
        changes when ``SECRET_KEY`` is rotated. See docs/licenses.md.
        """
        value = self.raw.get("KEY_SECRET")
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            return value
        return str(settings.SECRET_KEY)

    @property
    def ADDRESS_RATE_LIMIT(self) -> tuple[int, int]:
        """(requests, seconds) per client address on the license API."""
        return self._rate("ADDRESS_RATE_LIMIT", DEFAULT_ADDRESS_RATE_LIMIT)

    @property
    def KEY_RATE_LIMIT(self) -> tuple[int, int]:
        """(requests, seconds) per license key named on the license API."""
        return self._rate("KEY_RATE_LIMIT", DEFAULT_KEY_RATE_LIMIT)

    @property
    def PAGE_SIZE(self) -> int:
        """Keys per page on the seller's list."""
        value = self.raw.get("PAGE_SIZE", DEFAULT_PAGE_SIZE)
        return value if valid_page_size(value) else DEFAULT_PAGE_SIZE

    def _rate(self, name: str, default: str) -> tuple[int, int]:
        return parse_rate(self.raw.get(name, default)) or parse_rate(default) or (1, 1)


def valid_page_size(value: object) -> bool:
    """A whole number from 1 to 500 (``True`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 500


conf = LicensesSettings()
