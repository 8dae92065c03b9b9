"""The seller's license settings of one product."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace_core.forms_rendering import MarketplaceForm

#: The longest validity accepted: a hundred years.
MAX_VALIDITY_DAYS = 36500
MAX_ACTIVATION_LIMIT = 100_000


class PolicyForm(MarketplaceForm):
    issue_keys = forms.BooleanField(
        label=_("Issue a license key with each purchase"), required=False)
    activation_limit = forms.IntegerField(
        label=_("Activation limit"), required=False, min_value=1,
        max_value=MAX_ACTIVATION_LIMIT,
        help_text=_("How many machines one key may be active on at once. Blank: unlimited."))
    validity_days = forms.IntegerField(
        label=_("Valid for (days)"), required=False, min_value=1, max_value=MAX_VALIDITY_DAYS,
        help_text=_("Days from the purchase until the key expires. Blank: it never expires."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the section shares the page with the product form.
        kwargs.setdefault("auto_id", "id_license_%s")
        super().__init__(*args, **kwargs)
