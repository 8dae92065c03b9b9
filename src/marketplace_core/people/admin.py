"""Admin for seller status and the marketplace's account rows, for any user model.

A project adds the seller actions to its own user admin::

    from marketplace_core.people.admin import make_sellers, revoke_sellers

    @admin.register(Member)
    class MemberAdmin(UserAdmin):
        actions = [make_sellers, revoke_sellers]

Without that, the admin page Marketplace > Sellers > Add makes any existing user a seller
(the user is picked by id, so it works whether or not the project registers an
admin for its user model).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace_core.catalog.versions import bump_after_commit
from marketplace_core.people.models import Account, SellerProfile
from marketplace_core.people.users import email_field_name
from marketplace_core.roles import make_seller, revoke_seller


def _user_search_fields(prefix: str = "") -> tuple[str, ...]:
    model = get_user_model()
    names = dict.fromkeys(n for n in (model.USERNAME_FIELD, email_field_name(model)) if n)
    return tuple(f"{prefix}{name}" for name in names)


@admin.action(description=_("Make the selected users sellers"), permissions=["change"])
def make_sellers(modeladmin: admin.ModelAdmin[Any], request: HttpRequest,
                 queryset: QuerySet[Any]) -> None:
    """Admin action for a user admin: :func:`~marketplace_core.roles.make_seller` each."""
    users = list(queryset)
    for user in users:
        make_seller(user)
    modeladmin.message_user(request, ngettext(
        "%(count)d user can sell now.", "%(count)d users can sell now.", len(users),
    ) % {"count": len(users)}, messages.SUCCESS)


@admin.action(description=_("Stop the selected users selling"), permissions=["change"])
def revoke_sellers(modeladmin: admin.ModelAdmin[Any], request: HttpRequest,
                   queryset: QuerySet[Any]) -> None:
    """Admin action for a user admin: :func:`~marketplace_core.roles.revoke_seller` each."""
    count = sum(revoke_seller(user) for user in queryset)
    modeladmin.message_user(request, ngettext(
        "%(count)d user no longer sells.", "%(count)d users no longer sell.", count,
    ) % {"count": count}, messages.SUCCESS)


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "slug", "active", "created_at")
    list_filter = ("active",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    actions = ["pause", "resume"]

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return _user_search_fields("user__")

    @admin.action(description=_("Stop the selected sellers selling"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[SellerProfile]) -> None:
        queryset.update(active=False)
        bump_after_commit()  # their storefronts close

    @admin.action(description=_("Let the selected sellers sell again"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[SellerProfile]) -> None:
        queryset.update(active=True)
        bump_after_commit()  # their storefronts open again


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("user", "verified_email", "display_name", "guest", "claimed_at")
    list_filter = ("guest",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return (*_user_search_fields("user__"), "display_name")
