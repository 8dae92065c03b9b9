"""The billing form shown before sending a buyer to the provider's checkout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_core.payments.countries import country_choices


class CountryField(forms.ChoiceField):
    """A select of countries by ISO 3166-1 alpha-2 code; a posted code in any case counts."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()


_FIELDS: dict[str, Any] = {
    "name": lambda: forms.CharField(label=_("Full name"), max_length=150),
    "email": lambda: forms.EmailField(label=_("Email for the receipt")),
    "country": lambda: CountryField(
        label=_("Country"),
        error_messages={"invalid_choice": _("Choose your country from the list.")},
    ),
    "state": lambda: forms.CharField(label=_("State or region"), max_length=100),
    "city": lambda: forms.CharField(label=_("City"), max_length=100),
    "street": lambda: forms.CharField(label=_("Street address"), max_length=200),
    "zipcode": lambda: forms.CharField(label=_("Postal code"), max_length=20),
}


class BillingForm(MarketplaceForm):
    """Exactly the billing fields the active provider needs.

    ``country`` is a select of ISO 3166-1 countries named in the active
    language, ``countries`` of them when given (the provider's list); anything
    else is a form error. Its cleaned value is the upper-case alpha-2 code.
    """

    def __init__(self, *args: Any, fields: tuple[str, ...],
                 countries: frozenset[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in fields:
            self.fields[name] = _FIELDS[name]()
            self.fields[name].widget.attrs.setdefault("autocomplete", _AUTOCOMPLETE.get(name, "on"))
        country = self.fields.get("country")
        if isinstance(country, CountryField):
            country.choices = [("", _("Choose a country")), *country_choices(countries)]



_AUTOCOMPLETE = {
    "name": "name",
    "email": "email",
    "country": "country",
    "state": "address-level1",
    "city": "address-level2",
    "street": "street-address",
    "zipcode": "postal-code",
}
