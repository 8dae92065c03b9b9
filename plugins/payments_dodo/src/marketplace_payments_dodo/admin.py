"""Admin: the sync state of each product at Dodo (read-only), with a "sync again" action."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace_core.admin import ReadOnlyAdmin
from marketplace_payments_dodo.models import DodoProduct


@admin.register(DodoProduct)
class DodoProductAdmin(ReadOnlyAdmin):
    list_display = ("product", "dodo_product_id", "state", "synced_at", "attempts", "last_error")
    list_filter = ("state",)
    search_fields = ("product__title", "dodo_product_id")
    actions = ["sync_again"]

    @admin.action(description="Sync the selected products to Dodo again", permissions=["view"])
    def sync_again(self, request: HttpRequest, queryset: QuerySet[DodoProduct]) -> None:
        from marketplace_payments_dodo.tasks import sync_product

        # After commit: without a broker the task runs in process (eagerly), and a
        # project with ATOMIC_REQUESTS must not sync what it may still roll back.
        for link in queryset:
            transaction.on_commit(partial(sync_product.delay, link.product_id))
        self.message_user(request, f"Queued {queryset.count()} product(s).", messages.SUCCESS)
