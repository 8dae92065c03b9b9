"""Typed, lazy access to ``MARKETPLACE["payments_dodo"]``.

Example (secrets from the environment)::

    MARKETPLACE["payments_dodo"] = {
        "API_KEY": os.environ["DODO_PAYMENTS_API_KEY"],
        "WEBHOOK_SECRETS": os.environ["DODO_PAYMENTS_WEBHOOK_SECRET"].split(","),
        "ENVIRONMENT": "test_mode",  # or "live_mode"
    }
"""

from __future__ import annotations

from typing import Any

from marketplace_core.conf import conf as core_conf

NAME = "payments_dodo"
ENVIRONMENTS = ("test_mode", "live_mode")


class DodoSettings:
    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    @property
    def API_KEY(self) -> str:
        return str(self.raw.get("API_KEY") or "")

    @property
    def WEBHOOK_SECRETS(self) -> list[str]:
        value = self.raw.get("WEBHOOK_SECRETS") or []
        if isinstance(value, str):
            value = [value]
        return [str(v).strip() for v in value if str(v).strip()]

    @property
    def ENVIRONMENT(self) -> str:
        return str(self.raw.get("ENVIRONMENT") or "test_mode")

    @property
    def BASE_URL(self) -> str | None:
        return self.raw.get("BASE_URL") or None


conf = DodoSettings()
