"""System checks for the storefront and account settings (``marketplace_core.E020``-``E030``).

Registered when :mod:`marketplace_core.checks` is imported (in ``AppConfig.ready``).
Each setting has its own id; ``docs/settings.md`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from marketplace_core.accounts.throttling import parse_rate
from marketplace_core.conf import DEFAULTS

#: Email verification links live at most a day, password reset links at most an hour.
MAX_EMAIL_VERIFICATION_TTL = 24 * 3600
MAX_PASSWORD_RESET_TTL = 3600


@dataclass(frozen=True)
class _IntRange:
    key: str
    check_id: str
    low: int
    high: int | None = None

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be whole seconds or a count (an int); it is {value!r}"
        if value < self.low or (self.high is not None and value > self.high):
            upper = f" and {self.high}" if self.high is not None else ""
            relation = "between" if self.high is not None else "at least"
            return f"must be {relation} {self.low}{upper}; it is {value!r}"
        return None


INT_SETTINGS = (
    _IntRange("LOGIN_FAILURE_LIMIT", "marketplace_core.E020", 1),
    _IntRange("LOGIN_FAILURE_WINDOW", "marketplace_core.E021", 1),
    _IntRange("TRUSTED_PROXY_COUNT", "marketplace_core.E023", 0),
    _IntRange("EMAIL_VERIFICATION_TTL", "marketplace_core.E024", 1, MAX_EMAIL_VERIFICATION_TTL),
    _IntRange("PASSWORD_RESET_TTL", "marketplace_core.E025", 1, MAX_PASSWORD_RESET_TTL),
    _IntRange("ACCOUNT_EMAIL_COOLDOWN", "marketplace_core.E026", 0),
    _IntRange("PRODUCTS_PER_PAGE", "marketplace_core.E029", 1, 100),
    _IntRange("SITEMAP_PAGE_SIZE", "marketplace_core.E080", 1, 50_000),
    _IntRange("PAGE_CACHE_TIMEOUT", "marketplace_core.E031", 0, 7 * 24 * 3600),
    _IntRange("RECEIPT_LINK_TTL", "marketplace_core.E033", 60, 30 * 24 * 3600),
    _IntRange("PENDING_ORDER_TTL", "marketplace_core.E034", 60, 30 * 24 * 3600),
    _IntRange("GUEST_LINK_TTL", "marketplace_core.E035", 60, 24 * 3600),
)


def _raw() -> dict[str, Any] | None:
    raw = getattr(settings, "MARKETPLACE", {})
    return raw if isinstance(raw, dict) else None  # E001 reports a non-dict


def site_url_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable ``SITE_URL`` (``None`` when it is)."""
    if value in ("", None):
        return None
    if not isinstance(value, str):
        return f"must be a string; it is {value!r}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must start with http:// or https:// and name a host; it is {value!r}"
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        return f"must be scheme, host and optional port only (no path); it is {value!r}"
    return None


def testimonials_problem(value: Any) -> str | None:
    """Why ``value`` is not a list of ``{"quote", "author"[, "role"]}`` dicts."""
    if not isinstance(value, list | tuple):
        return f"must be a list of dicts; it is {type(value).__name__}"
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            return f"item {index} must be a dict; it is {type(item).__name__}"
        for key in ("quote", "author"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                return f"item {index} needs a non-empty string {key!r}"
        unknown = sorted(set(item) - {"quote", "author", "role"})
        if unknown:
            return f"item {index} has unknown keys {unknown} (allowed: quote, author, role)"
        if not isinstance(item.get("role", ""), str):
            return f"item {index}: 'role' must be a string"
    return None


def address_rate_limits_problem(value: Any) -> str | None:
    """Why ``value`` is not a dict of known actions to ``"count/period"`` rates."""
    if not isinstance(value, dict):
        return f"must be a dict of action -> rate; it is {type(value).__name__}"
    known = DEFAULTS["ADDRESS_RATE_LIMITS"]
    unknown = sorted(set(map(str, value)) - set(known))
    if unknown:
        return f"has unknown actions {unknown} (allowed: {', '.join(known)})"
    for action, rate in value.items():
        if parse_rate(rate) is None:
            return (f"[{action!r}] must be a rate like '20/15m' (a count of at least 1, "
                    f"'/', a period in s, m, h or d); it is {rate!r}")
    return None


# Mostly security settings (login limits, the client address, link lifetimes, SITE_URL
# against forged Host headers), so `check --tag security` and `check --deploy` run them.
@register(Tags.security, Tags.compatibility)
def check_account_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    raw = _raw()
    if raw is None:
        return []
    errors: list[CheckMessage] = []
    for spec in INT_SETTINGS:
        problem = spec.problem(raw.get(spec.key, DEFAULTS[spec.key]))
        if problem:
            errors.append(Error(f"MARKETPLACE[{spec.key!r}] {problem}.", id=spec.check_id))
    guests = raw.get("GUEST_CHECKOUT", DEFAULTS["GUEST_CHECKOUT"])
    if not isinstance(guests, bool):
        errors.append(Error(f"MARKETPLACE['GUEST_CHECKOUT'] must be True or False; it is "
                            f"{guests!r}.", hint="True lets visitors buy with an email address "
                            "alone.", id="marketplace_core.E036"))
    problem = site_url_problem(raw.get("SITE_URL", DEFAULTS["SITE_URL"]))
    if problem:
        errors.append(
            Error(
                f"MARKETPLACE['SITE_URL'] {problem}.",
                hint="For example 'https://shop.example.com'; links in emails start with it.",
                id="marketplace_core.E027",
            )
        )
    problem = testimonials_problem(raw.get("TESTIMONIALS", DEFAULTS["TESTIMONIALS"]))
    if problem:
        errors.append(
            Error(
                f"MARKETPLACE['TESTIMONIALS'] {problem}.",
                hint="[{'quote': '...', 'author': 'Ada', 'role': 'Designer'}, ...]",
                id="marketplace_core.E028",
            )
        )
    problem = address_rate_limits_problem(raw.get("ADDRESS_RATE_LIMITS", {}))
    if problem:
        errors.append(
            Error(
                f"MARKETPLACE['ADDRESS_RATE_LIMITS'] {problem}.",
                hint="For example {'login_failures': '20/15m', 'registrations': '10/h'}.",
                id="marketplace_core.E030",
            )
        )
    return errors
