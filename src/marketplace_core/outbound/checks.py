"""System checks of the outbound webhook settings (E052, W053; docs/settings.md)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from marketplace_core.conf import DEFAULTS

#: Upper bounds of the timeouts, in seconds: a hanging endpoint must not hold a worker.
TIMEOUT_LIMITS = {"WEBHOOKS_CONNECT_TIMEOUT": 30, "WEBHOOKS_READ_TIMEOUT": 60}


def _raw() -> dict[str, Any]:
    raw = getattr(settings, "MARKETPLACE", {})
    return raw if isinstance(raw, dict) else {}


@register(Tags.compatibility)
def check_webhook_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each webhook setting has the type and range it needs (E052, one per setting)."""
    raw = _raw()
    errors: list[CheckMessage] = []
    allow_http = raw.get("WEBHOOKS_ALLOW_HTTP", False)
    if not isinstance(allow_http, bool):
        errors.append(Error(f"MARKETPLACE['WEBHOOKS_ALLOW_HTTP'] must be True or False; it is "
                            f"{allow_http!r:.60}.", id="marketplace_core.E052"))
    addresses = raw.get("WEBHOOKS_ALLOWED_ADDRESSES", [])
    if not isinstance(addresses, list | tuple) or not all(_is_ip(a) for a in addresses):
        errors.append(Error(
            f"MARKETPLACE['WEBHOOKS_ALLOWED_ADDRESSES'] must be a list of IP addresses; it is "
            f"{addresses!r:.80}.", hint='For a local test receiver: ["127.0.0.1"].',
            id="marketplace_core.E052"))
    for name, limit in TIMEOUT_LIMITS.items():
        value = raw.get(name, DEFAULTS[name])
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= limit:
            errors.append(Error(f"MARKETPLACE[{name!r}] must be seconds above 0 and at most "
                                f"{limit}; it is {value!r:.60}.", id="marketplace_core.E052"))
    return errors


@register(Tags.security)
def check_webhook_exposure(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Plain http or non-public addresses for webhooks with DEBUG off (W053)."""
    raw = _raw()
    if settings.DEBUG:
        return []
    loose = [name for name in ("WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOWED_ADDRESSES")
             if raw.get(name)]
    if not loose:
        return []
    return [Warning(
        f"MARKETPLACE[{loose[0]!r}] is set with DEBUG off: webhooks may go out unencrypted "
        "or reach addresses inside your network.",
        hint="Leave WEBHOOKS_ALLOW_HTTP and WEBHOOKS_ALLOWED_ADDRESSES unset in production.",
        id="marketplace_core.W053")]


def _is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return isinstance(value, str)
