"""The seller's link form: destination validation, optional slug, expiry."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_shorturl import slugs
from marketplace_shorturl.conf import conf
from marketplace_shorturl.models import DESTINATION_MAX_LENGTH, SLUG_MAX_LENGTH, ShortURL
from marketplace_shorturl.services import LinkData
from marketplace_shorturl.urlbuilder import short_hosts
from marketplace_shorturl.validators import clean_destination


class ShortURLForm(MarketplaceForm):
    """Create (no ``instance``) or edit (``instance``) a link of the current seller."""

    destination = forms.CharField(
        label=_("Destination URL"), max_length=DESTINATION_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    slug = forms.CharField(
        label=_("Slug"), max_length=SLUG_MAX_LENGTH, required=False,
        help_text=_("Optional: leave empty to get a short random one."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    max_visits = forms.IntegerField(
        label=_("Maximum visits"), required=False, min_value=1, max_value=2_000_000_000,
        help_text=_("Optional: after this many visits the link answers “no longer "
                    "available”, like an expired one."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, request: HttpRequest, instance: ShortURL | None = None,
                 **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "destination": instance.destination, "slug": instance.slug,
                "expires_at": instance.expires_at, "is_active": instance.is_active,
                "max_visits": instance.max_visits,
                **(kwargs.get("initial") or {}),
            }
        super().__init__(*args, **kwargs)
        self.request = request
        self.instance = instance

    def clean_destination(self) -> str:
        url = clean_destination(self.cleaned_data["destination"],
                                allowed_domains=conf.ALLOWED_DOMAINS)
        self._refuse_short_link(url)
        return url

    def _refuse_short_link(self, url: str) -> None:
        """A link to one of our own short links would redirect in a chain or a loop."""
        parts = urlsplit(url)
        if (parts.hostname or "") not in short_hosts(self.request):
            return
        try:
            match = resolve(parts.path)
        except Resolver404:
            return
        if match.view_name == "shorturl:redirect":
            raise forms.ValidationError(_("A short link cannot point to another short link."),
                                        code="short_link_loop")

    def clean_slug(self) -> str:
        value = self.cleaned_data["slug"]
        if not value:
            if self.instance is not None:
                return self.instance.slug  # editing keeps the slug unless a new one is given
            return ""
        slug = slugs.normalize(value)
        if self.instance is not None and slug == self.instance.slug:
            return slug  # unchanged: even if the word became reserved later
        slug = slugs.validate_custom(slug)
        taken = ShortURL.objects.filter(slug=slug)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This slug is already taken."), code="slug_taken")
        return slug

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data["expires_at"]
        unchanged = self.instance is not None and value == self.instance.expires_at
        if value is not None and value <= timezone.now() and not unchanged:
            raise forms.ValidationError(_("Choose a time in the future."), code="past_expiry")
        return value

    def link_data(self) -> LinkData:
        data = self.cleaned_data
        return LinkData(destination=data["destination"], slug=data["slug"] or None,
                        is_active=data["is_active"], expires_at=data["expires_at"],
                        max_visits=data["max_visits"])
