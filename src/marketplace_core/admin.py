"""Admin: catalog and users are editable; money and ownership rows are read-only
(they change only through core services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from marketplace_core.api_keys.services import revoke_key
from marketplace_core.models import (
    ApiKey,
    Category,
    DiscountCode,
    Dispute,
    Download,
    Order,
    OutboundDelivery,
    Payment,
    Product,
    PurchasedProduct,
    Refund,
    RefundRequest,
    SentEmail,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from marketplace_core.people import admin as _people_admin  # noqa: F401  (sellers, accounts)
from marketplace_core.people.admin import make_sellers, revoke_sellers
from marketplace_core.people.records import ACCOUNT, SELLER, is_email_verified
from marketplace_core.roles import is_seller


@admin.register(User)  # ignored by Django when another AUTH_USER_MODEL swaps it out
class UserAdmin(BaseUserAdmin):
    """Core's own User; seller status and the verified address are shown from
    the people rows (one join per page, not a query per row)."""

    ordering = ("email",)
    list_display = ("email", "name", "seller", "verified", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff")
    list_select_related = (ACCOUNT, SELLER)
    search_fields = ("email", "name")
    actions = [make_sellers, revoke_sellers]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "name", "password1", "password2")}),)

    @admin.display(boolean=True, description="seller")
    def seller(self, user: User) -> bool:
        return is_seller(user)

    @admin.display(boolean=True, description="email verified")
    def verified(self, user: User) -> bool:
        return is_email_verified(user)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "seller")
    search_fields = ("name",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("title", "seller", "price", "currency", "status", "is_active", "updated_at")
    list_filter = ("status", "is_active", "is_featured")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    # Images go through the seller's form (checked, re-encoded, sized, with variants).
    readonly_fields = ("cover_image",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DiscountCode)
class DiscountCodeAdmin(ReadOnlyAdmin):
    """Read-only: sellers change their codes on their pages, through the discounts service
    (its hooks keep a payment provider's copy in step)."""

    list_display = ("code", "seller", "kind", "percent", "amount", "currency", "usage_limit",
                    "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "seller__email")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("reference", "buyer", "product", "amount", "discount_code", "currency",
                    "status", "created_at")
    list_filter = ("status", "provider")
    search_fields = ("reference", "buyer__email", "provider_checkout_id")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("provider_payment_id", "order", "amount", "currency", "status", "flag")
    list_filter = ("status", "flag", "provider")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("provider_refund_id", "order", "amount", "currency", "created_at")


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    list_display = ("reference", "order", "amount", "currency", "status", "provider_refund_id",
                    "created_at")
    list_filter = ("status", "provider")
    search_fields = ("reference", "provider_refund_id", "order__reference")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("provider_dispute_id", "order", "status", "amount", "currency", "reason",
                    "opened_at", "closed_at")
    list_filter = ("status", "provider")
    search_fields = ("provider_dispute_id", "provider_payment_id", "order__reference")


@admin.register(PurchasedProduct)
class PurchasedProductAdmin(ReadOnlyAdmin):
    list_display = ("buyer", "product", "granted_at", "revoked_at", "revoke_reason")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("provider", "delivery_id", "event_types", "outcome", "received_at")


@admin.register(Download)
class DownloadAdmin(ReadOnlyAdmin):
    list_display = ("purchase", "created_at", "ip_address")


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdmin):
    list_display = ("key", "sent_at")
    search_fields = ("key",)


# The maintenance switch registers its own admin (one row, saved through its service).
import marketplace_core.maintenance.admin  # noqa: E402, F401


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """Read-only, without the signing secrets: sellers manage endpoints on their pages."""

    list_display = ("url", "seller", "is_active", "failing_since", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "seller__email")
    exclude = ("secret", "previous_secret")


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(ReadOnlyAdmin):
    """Outbound webhook deliveries, for looking into what a seller's endpoint received."""

    list_display = ("event_id", "event_type", "endpoint", "status", "attempts",
                    "next_attempt_at", "created_at")
    list_filter = ("status", "event_type")
    search_fields = ("event_id", "endpoint__url", "endpoint__seller__email")
    list_select_related = ("endpoint",)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Sellers' API keys, without their hashes; staff can revoke a leaked one (the
    seller makes a new key on their page)."""

    list_display = ("name", "prefix", "seller", "scope", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "name", "seller__email")
    exclude = ("secret_hash",)
    list_select_related = ("seller",)
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("marketplace_core.change_apikey"))

    @admin.action(description="Revoke the selected keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        keys = list(queryset)
        for key in keys:
            revoke_key(key)
        self.message_user(request, f"{len(keys)} key(s) revoked; they authenticate nothing now.")
