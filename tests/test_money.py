"""Money as people read it: amounts in the reader's language, only real currencies.

Amounts are integers in the currency's ISO 4217 minor unit; Babel writes them
the way the active language does. ``\\xa0`` is the no-break space CLDR puts
between a German amount and its currency sign.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from marketplace_core.catalog.models import Product
from marketplace_core.money import format_money, is_valid_currency, to_decimal
from tests.panels_support import logged_in


@pytest.mark.parametrize(("amount", "currency", "english", "german"), [
    (1999, "USD", "$19.99", "19,99\xa0$"),
    (3000, "EUR", "€30.00", "30,00\xa0€"),
    (123456, "EUR", "€1,234.56", "1.234,56\xa0€"),
    (1500, "JPY", "¥1,500", "1.500\xa0¥"),            # the yen has no minor unit
    (150000, "JPY", "¥150,000", "150.000\xa0¥"),
    (-500, "USD", "-$5.00", "-5,00\xa0$"),             # a month with more refunds than sales
    (1250, "KWD", "KWD1.250", "1,250\xa0KWD"),         # 1/1000 dinar
])
def test_amounts_are_written_as_the_language_writes_them(amount, currency, english, german):
    assert format_money(amount, currency, language="en") == english
    assert format_money(amount, currency, language="de") == german


def test_the_active_language_decides_and_regional_codes_work():
    with translation.override("de"):
        assert format_money(1999, "EUR") == "19,99\xa0€"
    with translation.override("en-us"):
        assert format_money(1999, "EUR") == "€19.99"
    assert format_money(1999, "USD", language="en-gb") == "US$19.99"  # not the pound's "$"
    assert format_money(1999, "USD", language="pt-br") == "US$\xa019,99"
    # A language Babel does not know falls back to its base, then to English.
    assert format_money(1999, "EUR", language="de-xx") == "19,99\xa0€"
    assert format_money(1999, "EUR", language="qq") == "€19.99"


def test_amounts_are_never_rounded_for_display():
    """Iraqi dinars are counted in fils (1/1000, ISO 4217) but usually shown whole (CLDR)."""
    assert format_money(5000, "IQD", language="en") == "IQD5"
    assert format_money(5250, "IQD", language="en") == "IQD5.250"
    assert to_decimal(5250, "IQD") == to_decimal(525, "USD")


def test_a_stored_code_that_is_no_currency_is_still_shown():
    """Rows saved before codes were checked keep their code on every page."""
    assert format_money(1999, "XXQ", language="en") == "XXQ19.99"


def test_only_currencies_in_use_are_currencies():
    assert all(map(is_valid_currency, ["USD", "EUR", "JPY", "GBP", "KWD", "CHF", "INR"]))
    refused = ["XXQ", "XTS", "XXX", "XAU", "CLF", "DEM", "usd", "", "US"]
    assert not any(map(is_valid_currency, refused))


@pytest.mark.django_db
def test_the_shop_shows_prices_in_the_sites_language(client, settings, make_product):
    product = make_product(title="Field Guide", price=1999, currency="EUR")
    settings.LANGUAGE_CODE = "de"

    html = client.get(product.get_absolute_url()).content.decode()

    assert "19,99\xa0€" in html


@pytest.mark.django_db
def test_the_admin_refuses_a_code_that_is_no_currency(make_user, make_seller):
    admin = make_user(is_staff=True, is_superuser=True)
    seller = make_seller()
    form = {"seller": seller.pk, "title": "Guide", "slug": "guide", "price": 1999,
            "currency": "XXQ", "status": "draft", "is_active": "on"}

    refused = logged_in(admin).post("/admin/marketplace_core/product/add/", form)
    saved = logged_in(admin).post("/admin/marketplace_core/product/add/",
                                  {**form, "currency": "JPY"})

    assert refused.status_code == 200
    assert "“XXQ” is not the ISO 4217 code of a currency in use" in refused.content.decode()
    assert saved.status_code == 302
    assert list(Product.objects.values_list("currency", flat=True)) == ["JPY"]
