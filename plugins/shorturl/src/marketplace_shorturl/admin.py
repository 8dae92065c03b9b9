"""Staff view of every short link: find one and switch it off (abuse reports).

Edits go through the same destination and slug rules as the seller's form, and
saving invalidates the cache like any other write (the model's signals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace_shorturl import slugs
from marketplace_shorturl.conf import conf
from marketplace_shorturl.models import DESTINATION_MAX_LENGTH, ShortURL
from marketplace_shorturl.validators import clean_destination

if TYPE_CHECKING:  # generic only for the type checker (Django's classes are not at run time)
    _ModelForm = forms.ModelForm[ShortURL]
    _ModelAdmin = admin.ModelAdmin[ShortURL]
else:
    _ModelForm = forms.ModelForm
    _ModelAdmin = admin.ModelAdmin


class ShortURLAdminForm(_ModelForm):
    # A plain field: clean_destination is the validator (not URLField's looser rules).
    destination = forms.CharField(max_length=DESTINATION_MAX_LENGTH,
                                  widget=forms.URLInput(attrs={"size": 80}))

    class Meta:
        model = ShortURL
        fields = ("seller", "slug", "destination", "is_active", "expires_at", "max_visits")

    def clean_destination(self) -> str:
        return clean_destination(self.cleaned_data["destination"],
                                 allowed_domains=conf.ALLOWED_DOMAINS)

    def clean_slug(self) -> str:
        slug = slugs.normalize(self.cleaned_data["slug"])
        if self.instance.pk and slug == self.instance.slug:
            return slug
        return slugs.validate_custom(slug)


@admin.register(ShortURL)
class ShortURLAdmin(_ModelAdmin):
    form = ShortURLAdminForm
    list_display = ("slug", "destination", "seller", "clicks", "views", "max_visits",
                    "is_active", "expires_at", "created_at")
    list_filter = ("is_active",)
    search_fields = ("slug", "destination", "seller__email")
    list_select_related = ("seller",)
    raw_id_fields = ("seller",)
    readonly_fields = ("clicks", "views", "created_at", "updated_at")
    actions = ("switch_off",)

    @admin.action(description="Switch off the selected short links")
    def switch_off(self, request: HttpRequest, queryset: QuerySet[ShortURL]) -> None:
        for link in queryset:
            link.is_active = False
            link.save(update_fields=["is_active", "updated_at"])  # signals invalidate the cache
