"""System check of the API's per-key rate (``marketplace_core.E050``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from marketplace_core.accounts.throttling import parse_rate


@register(Tags.security, Tags.compatibility)
def check_api_rate_limit(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    raw = getattr(settings, "MARKETPLACE", None)
    if not isinstance(raw, dict) or "API_RATE_LIMIT" not in raw:
        return []
    rate = raw["API_RATE_LIMIT"]
    if parse_rate(rate) is not None:
        return []
    return [Error(
        f"MARKETPLACE['API_RATE_LIMIT'] must be a rate like '120/m' (a count of at least 1, "
        f"'/', a period in s, m, h or d); it is {rate!r}.",
        hint="Requests one API key may make per period; see docs/api.md#rate-limits.",
        id="marketplace_core.E050",
    )]
