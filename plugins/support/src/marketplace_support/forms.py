"""Forms of the support pages. Status choices come from the status machine."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_support import status_machine
from marketplace_support.models import MESSAGE_MAX_LENGTH, SupportRequest
from marketplace_support.services import SellerChanges
from marketplace_support.status_machine import Role, Status
from marketplace_support.validators import validate_https_url


class SupportRequestForm(MarketplaceForm):
    """What a buyer writes to open a request."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("How can the seller help?"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())


class MeetingLinkField(forms.URLField):
    """An ``https://`` link, checked by one validator with one message.

    ``forms.URLField`` brings its own URL validator, and a field replaces the
    message of every validator error whose code it knows ("invalid": "Enter a
    valid URL."): beside :data:`validate_https_url` a bad link got that
    message twice, and the https-only one never showed.
    """

    default_validators = [validate_https_url]
    default_error_messages = {"invalid": validate_https_url.message}


class MessageForm(MarketplaceForm):
    """One message in a request's conversation: plain text, line breaks kept."""

    body = forms.CharField(
        label=_("Your message"), max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a message first.")},
    )

    def clean_body(self) -> str:
        # Browsers send a textarea's line breaks as CRLF; store them as "\n".
        body = self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n").strip()
        if not body:
            raise forms.ValidationError(_("Write a message first."), code="required")
        return body


class SellerUpdateForm(MarketplaceForm):
    """The seller's form: status, meeting link and private notes.

    The status offers the current one plus those the seller may move to. For a
    locked (completed or cancelled) request every field is disabled, so a
    POST cannot change anything and the service refuses it.
    """

    status = forms.ChoiceField(label=_("Status"))
    meeting_link = MeetingLinkField(
        label=_("Meeting link"), required=False, max_length=500, assume_scheme="https",
        help_text=_("An https:// link to the call (Zoom, Meet, Jitsi ...). The buyer sees it."),
    )
    admin_notes = forms.CharField(
        label=_("Notes (only you see these)"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, support_request: SupportRequest, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "status": support_request.status,
            "meeting_link": support_request.meeting_link,
            "admin_notes": support_request.admin_notes,
        })
        super().__init__(*args, **kwargs)
        current = Status(support_request.status)
        choices = [current, *status_machine.targets(current, Role.SELLER)]
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [(s.value, s.label) for s in choices]
        self.locked = support_request.is_locked
        if self.locked:
            for field in self.fields.values():
                field.disabled = True

    def changes(self) -> SellerChanges:
        data = self.cleaned_data
        return SellerChanges(
            status=data["status"], meeting_link=data["meeting_link"] or "",
            admin_notes=data["admin_notes"] or "",
        )
