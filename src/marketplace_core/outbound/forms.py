"""The seller's endpoint form: URL (checked by the SSRF rules), description, events."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_core.outbound.destinations import clean_endpoint_url
from marketplace_core.outbound.events import event_types
from marketplace_core.outbound.models import URL_MAX_LENGTH, WebhookEndpoint

#: Endpoints one seller may have (each event is sent to every one of them).
MAX_ENDPOINTS = 20


class WebhookEndpointForm(MarketplaceForm):
    """Create (``instance=None``) or edit an endpoint of ``seller``."""

    url = forms.CharField(label=_("Endpoint URL"), max_length=URL_MAX_LENGTH,
                          widget=forms.URLInput(attrs={"placeholder": "https://",
                                                       "autocomplete": "off"}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": _("Choose at least one event.")})
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, seller: Any, instance: WebhookEndpoint | None = None,
                 **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {"url": instance.url, "description": instance.description,
                                 "events": instance.events, "is_active": instance.is_active,
                                 **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.seller = seller
        self.instance = instance
        events = self.fields["events"]
        assert isinstance(events, forms.MultipleChoiceField)
        events.choices = [
            (name, f"{name} — {gettext(event.description)}")
            for name, event in sorted(event_types().items())]
        if instance is None:
            del self.fields["is_active"]
        else:
            if not instance.is_active:
                self.fields["is_active"].help_text = instance.disabled_reason

    def clean_url(self) -> str:
        return clean_endpoint_url(self.cleaned_data["url"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance is None and WebhookEndpoint.objects.filter(
                seller_id=self.seller.pk).count() >= MAX_ENDPOINTS:
            raise forms.ValidationError(
                _("You have %(max)d endpoints, the most there can be: delete one first."),
                code="too_many", params={"max": MAX_ENDPOINTS})
        return cleaned
