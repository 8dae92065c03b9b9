"""Money is an integer amount in the currency's minor unit plus an ISO 4217 code."""

from __future__ import annotations

import re
from decimal import Decimal

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

#: ISO 4217 currencies whose minor unit is not 1/100.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
         "UYI", "VND", "VUV", "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def exponent(currency: str) -> int:
    """Number of decimal places of ``currency``'s minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_decimal(amount: int, currency: str) -> Decimal:
    """``1999, "USD"`` → ``Decimal("19.99")``."""
    return Decimal(amount).scaleb(-exponent(currency))


def format_money(amount: int, currency: str) -> str:
    """A display string such as ``"19.99 USD"`` (never mixes currencies)."""
    places = exponent(currency)
    value = to_decimal(amount, currency)
    return f"{value:,.{places}f} {currency.upper()}"


def is_valid_currency(code: str) -> bool:
    return bool(CURRENCY_RE.match(code or ""))
