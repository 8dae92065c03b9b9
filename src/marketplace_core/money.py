"""Money is an integer amount in the currency's minor unit plus an ISO 4217 code.

- **Which codes are currencies** comes from Babel's copy of the Unicode CLDR:
  a code is accepted when some country uses it as legal tender today
  (:func:`currencies`). Test and placeholder codes (``XTS``, ``XXX``), precious
  metals (``XAU``), funds (``CLF``) and withdrawn currencies (``DEM``) are not.
- **How an amount reads** is Babel's too, in the active language
  (:func:`format_money`): ``$19.99`` in English, ``19,99 $`` in German.
- **The minor unit** is ISO 4217's (:func:`exponent`): cents for USD, whole
  yen for JPY, fils (1/1000) for KWD. Payment services count in it, and every
  stored amount is an integer of it. Babel's ``get_currency_precision`` is
  CLDR's *display* precision, which differs for some currencies (Hungarian
  forints and Indonesian rupiahs are shown without decimals but counted in
  hundredths), so it only decides how many decimals are shown, never what an
  integer means.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import (
    NumberPattern,
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_territory_currencies,
    parse_pattern,
)
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

#: The shape of a code (the model field's validator; :func:`is_valid_currency` is the rule).
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

#: ISO 4217 minor units of the currencies in use whose minor unit is not 1/100.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
         "UYI", "VND", "VUV", "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}

#: The fraction of a CLDR number pattern ("¤#,##0.00" → ".00").
_FRACTION = re.compile(r"\.0+")


def exponent(currency: str) -> int:
    """Number of decimal places of ``currency``'s minor unit (ISO 4217)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_decimal(amount: int, currency: str) -> Decimal:
    """``1999, "USD"`` → ``Decimal("19.99")``."""
    return Decimal(amount).scaleb(-exponent(currency))


@functools.cache
def currencies() -> frozenset[str]:
    """The codes of every currency that is legal tender somewhere today (CLDR)."""
    today = dt.date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today)
    )


def is_valid_currency(code: str) -> bool:
    """Whether ``code`` (upper case) names a currency in use: ``"EUR"`` yes, ``"XXQ"`` no."""
    return code in currencies()


def validate_currency(code: str) -> None:
    """Raise ``ValidationError`` (code ``"currency"``) unless ``code`` is a currency in use."""
    if not is_valid_currency(code):
        raise ValidationError(
            _("“%(code)s” is not the ISO 4217 code of a currency in use, such as USD or EUR."),
            code="currency", params={"code": code},
        )


def format_money(amount: int, currency: str, *, language: str | None = None) -> str:
    """``amount`` minor units of ``currency`` as ``language`` writes them.

    ``language`` is a Django language code; it defaults to the active language
    (``LANGUAGE_CODE`` unless a request or ``translation.override`` chose
    another). ``1999, "USD"`` is ``"$19.99"`` in ``en``, ``"19,99 $"`` in ``de``;
    ``1500, "JPY"`` is ``"¥1,500"``. Amounts are never rounded: a currency that
    is usually shown without decimals (HUF) shows them when the amount has some.
    A code that is not a currency (a row saved before codes were checked) is
    shown with its code and two decimals.
    """
    return _format_money(amount, currency.upper(),
                         language or translation.get_language() or settings.LANGUAGE_CODE)


@functools.lru_cache(maxsize=4096)
def _format_money(amount: int, code: str, language: str) -> str:
    # Cached: Babel takes about 50 µs a price, and a page of cards repeats prices.
    value = to_decimal(amount, code)
    places = exponent(code)
    usual = get_currency_precision(code)
    if usual < places and value == value.quantize(Decimal(1).scaleb(-usual)):
        places = usual
    locale = babel_locale(language)
    return format_currency(value, code, format=_pattern(locale, places), locale=locale,
                           currency_digits=False)


@functools.lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    """Babel's locale for a Django language code (``en-us``, ``pt-br``, ``zh-hans``),
    else for its language alone, else English."""
    for identifier in (translation.to_locale(language), language.split("-")[0]):
        try:
            return Locale.parse(identifier)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale("en")


@functools.lru_cache(maxsize=256)
def _pattern(locale: Locale, places: int) -> NumberPattern:
    """``locale``'s currency pattern showing exactly ``places`` decimals."""
    standard = locale.currency_formats["standard"].pattern
    return parse_pattern(_FRACTION.sub("." + "0" * places if places else "", standard))


def currency_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Every currency in use as ``(code, "USD — US Dollar")``, by code, its name in
    ``language`` (default: the active language): the choices of a currency ``<select>``."""
    return list(_currency_choices(language or translation.get_language() or settings.LANGUAGE_CODE))


@functools.lru_cache(maxsize=16)
def _currency_choices(language: str) -> tuple[tuple[str, str], ...]:
    locale = babel_locale(language)
    return tuple((code, f"{code} — {get_currency_name(code, locale=locale)}")
                 for code in sorted(currencies()))
