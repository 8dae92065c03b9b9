"""The seller's form for a new API key."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace_core.api_keys.models import ApiKey
from marketplace_core.forms_rendering import MarketplaceForm


class ApiKeyForm(MarketplaceForm):
    """A name to tell the key apart, and what it may do."""

    name = forms.CharField(
        label=_("Name"), max_length=80,
        help_text=_("What uses the key, for example “Zapier” or “Build server”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read lets the key list your products, sales and codes; read and write "
                    "also lets it change them and start refunds."),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the key a name."), code="required")
        return name
