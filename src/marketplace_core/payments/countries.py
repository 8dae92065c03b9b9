"""Countries for billing: the ISO 3166-1 list, named in the buyer's language.

Which codes exist comes from pycountry (the ISO 3166-1 alpha-2 codes, kept up to
date from Debian's iso-codes); how each reads comes from Babel's copy of the
Unicode CLDR, like money (:mod:`marketplace_core.money`): "Germany" in English,
"Deutschland" in German. A code CLDR cannot name keeps pycountry's English name.

A payment provider may sell to fewer countries
(``PaymentProvider.supported_countries``); :func:`allowed_countries` asks it once
per :data:`CACHE_SECONDS` and keeps its answer in the default cache.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from typing import TYPE_CHECKING

import pycountry
from django.utils import translation

from marketplace_core.accounts.cache_fallback import default_cache
from marketplace_core.money import babel_locale

if TYPE_CHECKING:
    from marketplace_core.payments.providers import PaymentProvider

logger = logging.getLogger("marketplace_core.payments")

#: How long a provider's list of countries is kept (they change rarely).
CACHE_SECONDS = 6 * 3600


@functools.cache
def iso_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code (``"DE"``, ``"US"``...)."""
    return frozenset(str(country.alpha_2) for country in pycountry.countries)


def country_name(code: str, language: str | None = None) -> str:
    """``code``'s name in ``language`` (default: the active language)."""
    locale = babel_locale(language or translation.get_language() or "en")
    name = locale.territories.get(code)
    if name:
        return str(name)
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else code


def _sort_key(name: str) -> str:
    # Accents do not move a name to the end: "Österreich" sorts with the O's.
    return "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c)).casefold()


def country_choices(codes: frozenset[str] | None = None, language: str | None = None
                    ) -> list[tuple[str, str]]:
    """``(code, name)`` of ``codes`` (default: every ISO country), sorted by name."""
    chosen = iso_countries() if codes is None else codes & iso_countries()
    named = [(code, country_name(code, language)) for code in chosen]
    return sorted(named, key=lambda pair: _sort_key(pair[1]))


def allowed_countries(provider: PaymentProvider) -> frozenset[str] | None:
    """The ISO codes ``provider`` takes payments from, ``None`` for every country.

    The provider's answer is cached for :data:`CACHE_SECONDS`; a provider that
    fails (logged) or answers with no known code is taken to accept every
    country, so a buyer is never stopped by the list itself: the provider's
    checkout still refuses what it cannot take.
    """
    key = f"marketplace:countries:{provider.identifier}"
    cached = default_cache.run(lambda cache: cache.get(key))
    if cached is not None:
        return frozenset(cached) or None
    try:
        answer = provider.supported_countries()
    except Exception:
        logger.exception("Payment provider %r failed to list its countries", provider.identifier)
        return None
    codes = frozenset(str(code).upper() for code in answer or ()) & iso_countries()
    if answer is not None and not codes:
        logger.error("Payment provider %r listed no ISO country: %r", provider.identifier,
                     list(answer)[:10])
    default_cache.run(lambda cache: cache.set(key, sorted(codes), timeout=CACHE_SECONDS))
    return codes or None
