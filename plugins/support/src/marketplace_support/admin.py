"""Support requests in Django's admin: for reading; changes go through the seller's page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from marketplace_support.models import SupportRequest


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "purchase", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["subject", "purchase__buyer__email", "purchase__product__title"]
    list_select_related = ["purchase__buyer", "purchase__product"]

    # The status machine lives in services; the admin must not bypass it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
