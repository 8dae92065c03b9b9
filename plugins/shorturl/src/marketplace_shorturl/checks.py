"""System checks for ``MARKETPLACE["shorturl"]``; one id per way a setting can be wrong.

Reported through the ``check_configuration`` hook; ``docs/shorturl.md`` lists them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from marketplace_core.conf import conf as core_conf
from marketplace_shorturl.conf import DEFAULTS, NAME

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_MIDDLEWARE = "marketplace_shorturl.middleware.ShortURLMiddleware"
_SKIPPABLE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)
_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache",)
_NON_ATOMIC_CACHES = ("django.core.cache.backends.filebased.FileBasedCache",)


def _key(name: str) -> str:
    return f"MARKETPLACE['{NAME}']['{name}']"


def check_settings() -> list[CheckMessage]:
    """Every shorturl system check; an empty list when the configuration is sound."""
    raw = core_conf.raw.get(NAME, {})
    if not isinstance(raw, dict):
        return [Error(f"MARKETPLACE['{NAME}'] must be a dict of options.",
                      hint="For example {'SHORT_DOMAIN': 'go.example.com'}.",
                      id="shorturl.E001")]
    errors: list[CheckMessage] = []
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        errors.append(Warning(f"{_key(unknown[0])}: unknown option(s) {', '.join(unknown)}.",
                              hint=f"Known options: {', '.join(sorted(DEFAULTS))}.",
                              id="shorturl.W001"))
    errors += _check_short_domain(raw.get("SHORT_DOMAIN"))
    errors += _check_domains(raw.get("ALLOWED_DOMAINS"))
    errors += _check_reserved(raw.get("RESERVED_SLUGS"))
    errors += _check_numbers(raw)
    errors += _check_push_interval(raw.get("PUSH_INTERVAL"))
    errors += _check_cookie_name(raw.get("ATTRIBUTION_COOKIE"))
    errors += _check_cache()
    errors += _check_middleware()
    return errors


def _check_short_domain(value: Any) -> list[CheckMessage]:
    if value in (None, ""):
        return []
    ok = isinstance(value, str)
    if ok:
        parts = urlsplit(value if "://" in value else "https://" + value)
        ok = (parts.scheme in ("http", "https") and not parts.username
              and parts.path in ("", "/") and not parts.query and not parts.fragment
              and bool(_HOST.match((parts.hostname or "").rstrip("."))))
        try:
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            ok = False
    if ok:
        return []
    return [Error(f"{_key('SHORT_DOMAIN')} must be a host name, optionally with a scheme and "
                  f"port, such as 'go.example.com' or 'https://go.example.com'; it is {value!r}.",
                  id="shorturl.E002")]


def _check_domains(value: Any) -> list[CheckMessage]:
    if value is None:
        return []
    if isinstance(value, list | tuple) and all(
        isinstance(d, str) and _HOST.match(d.strip().lower().rstrip(".")) for d in value
    ):
        return []
    return [Error(f"{_key('ALLOWED_DOMAINS')} must be a list of domain names such as "
                  f"['example.com']; it is {value!r}.",
                  hint="Each domain also allows its subdomains; an empty list allows any "
                       "public host.",
                  id="shorturl.E003")]


def _check_reserved(value: Any) -> list[CheckMessage]:
    if value is None or (isinstance(value, list | tuple | set | frozenset)
                         and all(isinstance(s, str) and s.strip() for s in value)):
        return []
    return [Error(f"{_key('RESERVED_SLUGS')} must be a list of words; it is {value!r}.",
                  id="shorturl.E004")]


def _number(value: Any, *, integer: bool) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if integer and not isinstance(value, int):
        return None
    return float(value)


def _check_numbers(raw: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    rules = (
        ("SLUG_LENGTH", True, 4, 32, "shorturl.E005"),
        ("CACHE_TIMEOUT", True, 1, 30 * 24 * 3600, "shorturl.E006"),
        ("LOCAL_CACHE_SIZE", True, 1, 10_000_000, "shorturl.E007"),
        ("PUSH_INTERVAL", False, 0, 3600, "shorturl.E008"),
        ("FLUSH_INTERVAL", False, 0.1, 24 * 3600, "shorturl.E009"),
        ("PAGE_SIZE", True, 1, 500, "shorturl.E010"),
        ("ATTRIBUTION_DAYS", True, 0, 365, "shorturl.E012"),
    )
    for name, integer, low, high, check_id in rules:
        value = raw.get(name)
        if value is None:
            continue
        number = _number(value, integer=integer)
        if number is None or not low <= number <= high:
            kind = "a whole number" if integer else "a number of seconds"
            errors.append(Error(f"{_key(name)} must be {kind} from {low} to {high}; "
                                f"it is {value!r}.", id=check_id))
    return errors


#: A cookie name browsers and Django accept (an RFC 6265 token, kept simple).
_COOKIE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _check_cookie_name(value: Any) -> list[CheckMessage]:
    if value is None or (isinstance(value, str) and _COOKIE_NAME.fullmatch(value)):
        return []
    return [Error(f"{_key('ATTRIBUTION_COOKIE')} must be a cookie name (letters, digits, "
                  f"'_', '.', '-'; up to 64); it is {value!r}.", id="shorturl.E013")]


def _check_push_interval(value: Any) -> list[CheckMessage]:
    # 0 is valid (tests use it for determinism) but nothing then pushes a web
    # process's clicks until it exits: the flush task runs in another process.
    if value is None or _number(value, integer=False) != 0:
        return []
    return [Warning(f"{_key('PUSH_INTERVAL')} is 0: web processes hand their clicks over only "
                    "when they exit, so stored counts lag until then and a hard crash loses "
                    "every click the process served.",
                    hint="Use a push interval such as 1 (seconds), the default.",
                    id="shorturl.W005")]


def _check_cache() -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend == "django.core.cache.backends.dummy.DummyCache":
        return [Error("Short links need a working default cache: with DummyCache no click "
                      "can be buffered and every redirect queries the database.",
                      hint="Use Redis (django.core.cache.backends.redis.RedisCache).",
                      id="shorturl.E011")]
    if backend in _NON_ATOMIC_CACHES:
        return [Warning("The default cache is file-based: its add() is not atomic across "
                        "processes, so concurrent click batches can overwrite each other.",
                        hint="Use Redis or Memcached as the default cache.",
                        id="shorturl.W002")]
    if backend in _LOCAL_CACHES and not settings.DEBUG:
        return [Warning("The default cache is local memory: with several web processes a "
                        "link change is not seen by the other processes, and clicks are "
                        "flushed only by the process that served them.",
                        hint="Use Redis (REDIS_URL) when running more than one process.",
                        id="shorturl.W003")]
    return []


def _check_middleware() -> list[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if _MIDDLEWARE not in middleware:
        return []
    position = middleware.index(_MIDDLEWARE)
    late = [m for m in _SKIPPABLE if m in middleware[:position]]
    if not late:
        return []
    return [Warning(f"{_MIDDLEWARE} comes after {', '.join(late)}, so short-link redirects "
                    "still pay for that middleware.",
                    hint="Place it right after django.middleware.security.SecurityMiddleware.",
                    id="shorturl.W004")]
