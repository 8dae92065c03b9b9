"""Admin: switch maintenance mode (one row), recording who did it and when."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from marketplace_core.maintenance.models import MaintenanceState
from marketplace_core.maintenance.state import RUNTIME_FLAG_TTL, set_runtime_flag


@admin.register(MaintenanceState)
class MaintenanceStateAdmin(admin.ModelAdmin):
    """The list opens the one row; saving goes through ``set_runtime_flag``."""

    fields = ("enabled", "message", "changed_by", "changed_at")
    readonly_fields = ("changed_by", "changed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row, _ = MaintenanceState.objects.get_or_create(pk=MaintenanceState.SINGLETON_PK)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                    args=[row.pk])
        )

    def save_model(self, request: HttpRequest, obj: MaintenanceState, form: Any,
                   change: bool) -> None:
        user = request.user
        by = f"{user.get_username()} (admin)" if user.is_authenticated else "admin"
        stored = set_runtime_flag(obj.enabled, changed_by=by, message=obj.message)
        obj.changed_by, obj.changed_at = stored.changed_by, stored.changed_at
        self.message_user(request, f"Maintenance mode is {'on' if obj.enabled else 'off'}; "
                                   f"every process follows within {RUNTIME_FLAG_TTL:g} s.")
