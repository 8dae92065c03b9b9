"""A seller's discount code (see docs/discounts.md).

Codes are case-insensitive: they are stored upper-case, and a database
constraint keeps them unique per seller in any letter case. How often a code
was used is not stored: it is the number of orders that hold it (paid,
refunded, or pending and still open), so an order that expires or fails frees
its use without a write here (:func:`.services.redemptions`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from marketplace_core.money import format_money

#: Longest code a seller may choose.
MAX_CODE_LENGTH = 32


def normalize_code(text: str) -> str:
    """``text`` as codes are stored and compared: trimmed and upper-case."""
    return (text or "").strip().upper()


class DiscountCode(models.Model):
    """A code that takes a percentage or a fixed amount off the seller's products.

    A percentage code (``percent`` 1-100) applies to any currency; a fixed
    code takes ``amount`` minor units of ``currency`` off and applies only to
    products priced in that currency. With no ``products`` chosen it applies
    to all of the seller's products. ``starts_at``/``ends_at`` bound when it
    may be used (either may be empty); ``usage_limit`` caps its uses in all;
    ``once_per_buyer`` lets each buyer use it once.
    """

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", _("Percentage")
        FIXED = "fixed", _("Fixed amount")

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discount_codes"
    )
    code = models.CharField(_("code"), max_length=MAX_CODE_LENGTH)
    kind = models.CharField(_("type"), max_length=16, choices=Kind, default=Kind.PERCENTAGE)
    #: Percent off for a percentage code (1-100), else ``None``.
    percent = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    #: Minor units off for a fixed code, else ``None``.
    amount = models.PositiveIntegerField(_("amount off"), null=True, blank=True)
    #: The currency of a fixed code's amount (empty for a percentage code).
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    #: The products it applies to; none chosen: all of the seller's products.
    products = models.ManyToManyField(
        "marketplace_core.Product", blank=True, related_name="discount_codes"
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    once_per_buyer = models.BooleanField(_("once per buyer"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                "seller", Upper("code"), name="marketplace_discount_code_per_seller"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="percentage", percent__gte=1, percent__lte=100, amount__isnull=True)
                    | Q(kind="fixed", amount__gte=1, percent__isnull=True) & ~Q(currency="")
                ),
                name="marketplace_discount_code_kind_values",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: object, **kwargs: object) -> None:
        self.code = normalize_code(self.code)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def value_display(self) -> str:
        """What it takes off: ``"15 %"`` or ``"$5.00"``."""
        if self.kind == self.Kind.PERCENTAGE:
            return f"{self.percent} %"
        return format_money(self.amount or 0, self.currency)

    def discounted(self, price: int) -> int:
        """``price`` (minor units) after this code; never below zero.

        A percentage's amount off is rounded down to a whole minor unit, so
        15 % of 999 takes 149 off.
        """
        if self.kind == self.Kind.PERCENTAGE:
            return price - price * (self.percent or 0) // 100
        return max(price - (self.amount or 0), 0)
