"""Support requests in Django's admin: for reading; changes go through the seller's page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from marketplace_support.models import SupportMessage, SupportRequest


class SupportMessageInline(admin.TabularInline):
    """The request's conversation, oldest first, read-only (messages are written on
    the buyer's and the seller's pages, which email the other side)."""

    model = SupportMessage
    fields = ("created_at", "author", "author_role", "body", "emailed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "purchase", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["subject", "purchase__buyer__email", "purchase__product__title"]
    list_select_related = ["purchase__buyer", "purchase__product"]
    inlines = [SupportMessageInline]
    # Meeting links are https:// only (and Django warns about URLField's old default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # The status machine lives in services; the admin must not bypass it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
