"""System checks of the licenses plugin (ids ``licenses.E...``/``licenses.W...``)."""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Warning

from marketplace_core.accounts.throttling import parse_rate
from marketplace_core.conf import conf as core_conf
from marketplace_licenses.conf import MIN_SECRET_LENGTH, NAME, valid_page_size


def check_settings() -> list[CheckMessage]:
    raw = core_conf.raw.get(NAME, {})
    if not isinstance(raw, dict):
        return [Error(
            f"MARKETPLACE[{NAME!r}] must be a dict of options.",
            hint='For example {"KEY_SECRET": os.environ["LICENSE_KEY_SECRET"]}.',
            id="licenses.E001",
        )]
    errors: list[CheckMessage] = []
    secret = raw.get("KEY_SECRET")
    if secret is None:
        errors.append(Warning(
            f"MARKETPLACE[{NAME!r}]['KEY_SECRET'] is not set: license keys are derived from "
            "SECRET_KEY, so rotating SECRET_KEY changes every key buyers hold.",
            hint=f"Set it from the environment to a random string of at least "
                 f"{MIN_SECRET_LENGTH} characters and never rotate it (docs/licenses.md).",
            id="licenses.W001",
        ))
    elif not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        errors.append(Error(
            f"MARKETPLACE[{NAME!r}]['KEY_SECRET'] must be a string of at least "
            f"{MIN_SECRET_LENGTH} characters.",
            hint='For example: python -c "import secrets; print(secrets.token_urlsafe(48))"',
            id="licenses.E002",
        ))
    for option, check_id in (("ADDRESS_RATE_LIMIT", "licenses.E003"),
                             ("KEY_RATE_LIMIT", "licenses.E004")):
        if option in raw and parse_rate(raw[option]) is None:
            errors.append(Error(
                f"MARKETPLACE[{NAME!r}][{option!r}] must be a rate like \"60/1m\" "
                f"(requests per period; s, m, h or d), not {raw[option]!r}.",
                id=check_id,
            ))
    if "PAGE_SIZE" in raw and not valid_page_size(raw["PAGE_SIZE"]):
        errors.append(Error(
            f"MARKETPLACE[{NAME!r}]['PAGE_SIZE'] must be a whole number from 1 to 500, "
            f"not {raw['PAGE_SIZE']!r}.",
            id="licenses.E005",
        ))
    return errors
