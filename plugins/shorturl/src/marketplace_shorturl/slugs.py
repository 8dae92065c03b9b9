"""Slugs: normalizing, validating and generating them.

Slugs compare case-insensitively (people retype links), so they are stored and
looked up in lowercase. Generated slugs use :data:`ALPHABET`: lowercase letters
and digits without the look-alikes ``0 o 1 l i``, so a printed link can be
typed back without guessing.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from random import Random

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils.translation import gettext_lazy as _

from marketplace_shorturl.conf import conf
from marketplace_shorturl.models import SLUG_MAX_LENGTH

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
#: Matches a slug as typed in a URL (before lowercasing).
SLUG_PATTERN = rf"[A-Za-z0-9_-]{{1,{SLUG_MAX_LENGTH}}}"
_CUSTOM_SLUG = re.compile(rf"^[a-z0-9](?:[a-z0-9_-]{{0,{SLUG_MAX_LENGTH - 1}}})$")

#: Words never given out as slugs: this plugin's own paths and common site paths.
RESERVED_WORDS = frozenset({
    "manage", "new", "create", "edit", "update", "delete", "admin", "api", "static", "media",
    "login", "logout", "register", "account", "accounts", "seller", "sellers", "dashboard",
    "settings", "help", "about", "terms", "privacy", "contact", "support", "www", "mail",
    "favicon", "robots", "sitemap", "health", "healthz", "status", "s", "u", "go", "link",
    "links", "null", "undefined",
})

_SYSTEM_RANDOM = secrets.SystemRandom()


def normalize(slug: str) -> str:
    return slug.strip().lower()


def validate_custom(slug: str) -> str:
    """Return ``slug`` normalized, or raise ``ValidationError`` when it cannot be used.

    Does not check uniqueness (the database does, atomically).
    """
    slug = normalize(slug)
    if not _CUSTOM_SLUG.match(slug):
        raise ValidationError(
            _("Use 1 to %(max)d letters, digits, hyphens or underscores, starting with a "
              "letter or digit."), code="invalid_slug", params={"max": SLUG_MAX_LENGTH})
    if is_reserved(slug):
        raise ValidationError(_("“%(slug)s” is reserved; choose another slug."),
                              code="reserved_slug", params={"slug": slug})
    return slug


def is_reserved(slug: str) -> bool:
    """True for reserved words and for slugs that collide with the site's own paths.

    A slug is refused when it names a top-level path of the site (``products``,
    ``accounts``...), when ``/<slug>/`` resolves to a page, or when the short link
    ``/<prefix>/<slug>`` would resolve to something other than the redirect view
    (this plugin's ``manage`` pages).
    """
    slug = normalize(slug)
    if slug in RESERVED_WORDS or slug in conf.RESERVED_SLUGS:
        return True
    if slug in site_top_level_words(getattr(settings, "ROOT_URLCONF", "")):
        return True
    for path in (f"/{slug}", f"/{slug}/"):
        try:
            resolve(path)
        except Resolver404:
            continue
        return True
    return not _is_redirect(slug)


def _is_redirect(slug: str) -> bool:
    from django.urls import reverse

    try:
        path = reverse("shorturl:redirect", kwargs={"slug": slug})
        return resolve(path).view_name == "shorturl:redirect"
    except (NoReverseMatch, Resolver404):
        return False


@lru_cache(maxsize=8)
def site_top_level_words(urlconf: str) -> frozenset[str]:
    """First path segments of the site's URL patterns and of its static/media/login URLs."""
    words: set[str] = set()
    for pattern in get_resolver(urlconf or None).url_patterns:
        words.update(_first_segments(pattern))
    for setting in ("STATIC_URL", "MEDIA_URL", "LOGIN_URL"):
        value = str(getattr(settings, setting, "") or "")
        if value.startswith("/"):
            words.add(value.strip("/").split("/")[0].lower())
    words.discard("")
    return frozenset(words)


def _first_segments(pattern: URLPattern | URLResolver) -> set[str]:
    literal = re.split(r"[/<(\[\\^$?*+.{]", str(pattern.pattern).lstrip("^"), maxsplit=1)[0]
    if literal:
        return {literal.lower()}
    if isinstance(pattern, URLResolver):  # include() at the root: look one level down
        found: set[str] = set()
        for child in pattern.url_patterns:
            found.update(_first_segments(child))
        return found
    return set()


def generate(length: int, rng: Random | None = None) -> str:
    """A random slug of ``length`` symbols from :data:`ALPHABET` (not reserved)."""
    rng = rng or _SYSTEM_RANDOM
    while True:
        slug = "".join(rng.choice(ALPHABET) for _ in range(length))
        if slug not in RESERVED_WORDS and slug not in conf.RESERVED_SLUGS:
            return slug
