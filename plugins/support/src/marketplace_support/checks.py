"""System checks of the support plugin (ids ``support.E...``)."""

from __future__ import annotations

from django.core.checks import CheckMessage, Error

from marketplace_core.accounts.throttling import parse_rate
from marketplace_core.conf import conf as core_conf
from marketplace_support.conf import NAME, valid_page_size


def check_settings() -> list[CheckMessage]:
    raw = core_conf.raw.get(NAME, {})
    if not isinstance(raw, dict):
        return [Error(
            f"MARKETPLACE[{NAME!r}] must be a dict of options.",
            hint='For example {"PAGE_SIZE": 20}.',
            id="support.E001",
        )]
    errors: list[CheckMessage] = []
    if "PAGE_SIZE" in raw:
        value = raw["PAGE_SIZE"]
        if not valid_page_size(value):
            errors.append(Error(
                f"MARKETPLACE[{NAME!r}]['PAGE_SIZE'] must be a whole number from 1 to 500, "
                f"not {value!r}.",
                id="support.E002",
            ))
    if "MESSAGE_RATE_LIMIT" in raw and parse_rate(raw["MESSAGE_RATE_LIMIT"]) is None:
        errors.append(Error(
            f"MARKETPLACE[{NAME!r}]['MESSAGE_RATE_LIMIT'] must be a rate like \"20/10m\" "
            f"(messages per period; s, m, h or d), not {raw['MESSAGE_RATE_LIMIT']!r}.",
            id="support.E003",
        ))
    return errors
