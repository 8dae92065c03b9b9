"""The billing form shown before sending a buyer to the provider's checkout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

_FIELDS: dict[str, Any] = {
    "name": lambda: forms.CharField(label=_("Full name"), max_length=150),
    "email": lambda: forms.EmailField(label=_("Email for the receipt")),
    "country": lambda: forms.CharField(
        label=_("Country (ISO code, e.g. US)"),
        max_length=2,
        min_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Use a two-letter ISO country code."))],
    ),
    "state": lambda: forms.CharField(label=_("State or region"), max_length=100),
    "city": lambda: forms.CharField(label=_("City"), max_length=100),
    "street": lambda: forms.CharField(label=_("Street address"), max_length=200),
    "zipcode": lambda: forms.CharField(label=_("Postal code"), max_length=20),
}


class BillingForm(forms.Form):
    """Exactly the billing fields the active provider needs."""

    def __init__(self, *args: Any, fields: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in fields:
            self.fields[name] = _FIELDS[name]()
            self.fields[name].widget.attrs.setdefault("autocomplete", _AUTOCOMPLETE.get(name, "on"))

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).upper()


_AUTOCOMPLETE = {
    "name": "name",
    "email": "email",
    "country": "country",
    "state": "address-level1",
    "city": "address-level2",
    "street": "street-address",
    "zipcode": "postal-code",
}
