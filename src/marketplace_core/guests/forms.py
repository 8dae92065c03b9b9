"""The "My purchases" request form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace_core.forms_rendering import MarketplaceForm


class PurchasesLinkForm(MarketplaceForm):
    email = forms.EmailField(
        label=_("Email address you bought with"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
