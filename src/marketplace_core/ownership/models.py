"""Orders, payment attempts, refunds, ownership and the delivery log.

Only :mod:`marketplace_core.ownership.services` changes these rows. Money is an
integer in the currency's minor unit everywhere.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace_core.money import format_money


class Order(models.Model):
    """A buyer's intent to buy one product at a fixed price.

    ``reference`` is the public identifier handed to payment providers (in
    checkout metadata) and shown to the buyer; the numeric id never leaves the
    site. State only moves forward: pending → paid → refunded; pending → failed;
    pending → expired (abandoned for ``PENDING_ORDER_TTL``); a failed or expired
    order can still become paid (a later attempt succeeded, a provider was slow).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    product = models.ForeignKey(
        "marketplace_core.Product", on_delete=models.PROTECT, related_name="orders"
    )
    #: What the buyer pays, in minor units: the price after any discount code.
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    #: The discount code the buyer applied, if any (a used code is never deleted).
    discount_code = models.ForeignKey(
        "marketplace_core.DiscountCode", on_delete=models.PROTECT, related_name="orders",
        null=True, blank=True,
    )
    #: The product's price before the discount code, in minor units (``None``
    #: on orders taken before discount codes existed: ``amount`` was the price).
    list_amount = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    provider = models.CharField(max_length=64)
    #: The provider's id of the checkout session (for support and reconciliation).
    provider_checkout_id = models.CharField(max_length=255, blank=True)
    billing = models.JSONField(default=dict, blank=True)
    #: The language the buyer checked out in (emails about the order use it).
    language = models.CharField(max_length=16, blank=True)
    #: The address the buyer checked out at, for links in emails when
    #: ``MARKETPLACE["SITE_URL"]`` is unset.
    site_url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # An open checkout is reused rather than duplicated.
            models.UniqueConstraint(
                fields=["buyer", "product"],
                condition=Q(status="pending"),
                name="marketplace_one_pending_order_per_buyer_product",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.reference}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def discount(self) -> int:
        """Minor units the discount code took off (0 without one)."""
        if self.discount_code_id is None or self.list_amount is None:
            return 0
        return max(self.list_amount - self.amount, 0)

    @property
    def list_amount_display(self) -> str:
        return format_money(self.list_amount if self.list_amount is not None else self.amount,
                            self.currency)


class Payment(models.Model):
    """One payment attempt for an order (a provider may report several)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=64)
    provider_payment_id = models.CharField(max_length=255)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    failure_reason = models.CharField(max_length=255, blank=True)
    #: Set when the attempt needs a human: for example ``"amount_mismatch"``.
    flag = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                name="marketplace_payment_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_payment_id}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


class Refund(models.Model):
    """Money given back for an order; a full refund revokes ownership."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", null=True, blank=True
    )
    provider = models.CharField(max_length=64)
    provider_refund_id = models.CharField(max_length=255)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_refund_id"],
                name="marketplace_refund_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_refund_id}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


class RefundRequest(models.Model):
    """A seller asked to give (part of) an order's money back.

    Recorded by :mod:`marketplace_core.ownership.refund_requests`, then sent to
    the order's provider by a Celery task. It grants and revokes nothing: the
    refund becomes final only through the provider's webhook (a
    :class:`Refund` row, linked here as ``refund``). Status: requested → sent
    → succeeded, or → failed (the provider refused; ``failure_reason`` says why).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SENT = "sent", _("Sent to the provider")
        FAILED = "failed", _("Failed")
        SUCCEEDED = "succeeded", _("Refunded")

    #: Statuses whose amount is on its way back to the buyer (not yet a Refund row).
    OUTSTANDING = ("requested", "sent")

    #: Stable per request: the provider's idempotency key.
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refund_requests")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT,
                                related_name="refund_requests")
    provider = models.CharField(max_length=64)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    status = models.CharField(max_length=16, choices=Status, default=Status.REQUESTED)
    #: The provider's refund id, once its answer or its webhook named it.
    provider_refund_id = models.CharField(max_length=255, blank=True)
    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="request")
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "status"])]

    def __str__(self) -> str:
        return f"Refund request {self.reference}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


class Dispute(models.Model):
    """A chargeback a buyer opened with their bank, as the provider reports it.

    Recorded for the seller and staff to answer; it changes neither the order
    nor ownership. ``status`` only moves forward: opened → challenged → a final
    state (won, lost, accepted, cancelled, expired), so a late "opened" never
    hides the outcome.
    """

    class Status(models.TextChoices):
        OPENED = "opened", _("Opened")
        CHALLENGED = "challenged", _("Challenged")
        ACCEPTED = "accepted", _("Accepted")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    #: Statuses after which nothing changes any more.
    FINAL = frozenset({"accepted", "cancelled", "expired", "won", "lost"})

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="disputes", null=True, blank=True
    )
    provider = models.CharField(max_length=64)
    provider_dispute_id = models.CharField(max_length=255)
    provider_payment_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.OPENED)
    #: Minor units, as the provider reported it (``None`` when it did not say).
    amount = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: When the dispute reached a final status.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_dispute_id"],
                name="marketplace_dispute_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_dispute_id}"


class PurchasedProductQuerySet(models.QuerySet["PurchasedProduct"]):
    def active(self) -> PurchasedProductQuerySet:
        return self.filter(revoked_at__isnull=True)


class PurchasedProduct(models.Model):
    """Ownership: a buyer may download a product while this row is active."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    product = models.ForeignKey(
        "marketplace_core.Product", on_delete=models.PROTECT, related_name="purchases"
    )
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="purchase")
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=64, blank=True)
    #: Download links given out, against the product's ``download_limit``
    #: (raised only by a conditional UPDATE: ``storage.limits``).
    downloads_used = models.PositiveIntegerField(default=0)

    objects = PurchasedProductQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "product"],
                condition=Q(revoked_at__isnull=True),
                name="marketplace_one_active_ownership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} owns {self.product}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookDelivery(models.Model):
    """A provider delivery we applied; the unique key makes retries no-ops."""

    provider = models.CharField(max_length=64)
    delivery_id = models.CharField(max_length=255)
    event_types = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "delivery_id"], name="marketplace_delivery_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.delivery_id}"


class Download(models.Model):
    """One download by an owner (double clicks within seconds count once)."""

    purchase = models.ForeignKey(
        PurchasedProduct, on_delete=models.CASCADE, related_name="downloads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    #: Which file was downloaded (``None``: logged before versions, or deleted since).
    version = models.ForeignKey("marketplace_core.ProductFileVersion", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="downloads")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["purchase", "-created_at"])]

    def __str__(self) -> str:
        return f"Download {self.pk} of purchase {self.purchase_id}"
