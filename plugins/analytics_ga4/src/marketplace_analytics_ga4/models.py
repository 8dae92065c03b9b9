"""What the plugin keeps: the GA client id seen at checkout, and the events it sent."""

from __future__ import annotations

from django.db import models


class CheckoutClient(models.Model):
    """The GA4 client id (from the buyer's ``_ga`` cookie) of an order's checkout.

    A pseudonymous id GA set in the browser: the purchase event carries it so GA
    joins the sale to the visit. No other data about the buyer is kept.
    """

    order_reference = models.UUIDField(unique=True)
    client_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"GA4 client of order {self.order_reference}"


class SentEvent(models.Model):
    """One Measurement Protocol event, sent at most once (the unique key)."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "purchase"
        REFUND = "refund", "refund"

    kind = models.CharField(max_length=16, choices=Kind)
    #: The order reference (purchase) or the refund's id (refund).
    key = models.CharField(max_length=64)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"],
                                               name="analytics_ga4_one_event_per_key")]

    def __str__(self) -> str:
        return f"GA4 {self.kind} event {self.key}"
