"""License policies (per product), keys (one per purchase) and their activations.

Only :mod:`marketplace_licenses.services` writes these rows. The plugin writes
no core table; it points at core's ``Product`` and ``PurchasedProduct``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LicensePolicy(models.Model):
    """A seller's license settings for one product. No row: no keys."""

    product = models.OneToOneField(
        "marketplace_core.Product", on_delete=models.CASCADE, related_name="license_policy",
        verbose_name=_("product"),
    )
    issue_keys = models.BooleanField(_("issue license keys"), default=False)
    #: How many instances one key may be activated on at once; ``None``: unlimited.
    activation_limit = models.PositiveIntegerField(_("activation limit"), null=True, blank=True)
    #: Days a key is valid from its purchase; ``None``: forever.
    validity_days = models.PositiveIntegerField(_("validity (days)"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("license policy")
        verbose_name_plural = _("license policies")

    def __str__(self) -> str:
        return f"License policy of product {self.product_id}"


class LicenseKey(models.Model):
    """The license key of one purchase.

    The key itself is not stored (see :mod:`marketplace_licenses.keys`): ``nonce``
    derives it, ``key_hash`` finds it. ``activation_limit`` and ``expires_at``
    are copied from the product's policy when the key is issued, so changing
    the policy later does not change keys already sold.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        DISABLED = "disabled", _("Disabled")

    class DisabledBy(models.TextChoices):
        SELLER = "seller", _("the seller")
        REVOCATION = "revocation", _("refund or revocation")

    purchase = models.OneToOneField(
        "marketplace_core.PurchasedProduct", on_delete=models.CASCADE,
        related_name="license_key", verbose_name=_("purchase"),
    )
    product = models.ForeignKey(
        "marketplace_core.Product", on_delete=models.CASCADE, related_name="license_keys",
        verbose_name=_("product"),
    )
    nonce = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    activation_limit = models.PositiveIntegerField(_("activation limit"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.CharField(max_length=16, choices=DisabledBy, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("license key")
        verbose_name_plural = _("license keys")
        indexes = [models.Index(fields=["product", "-created_at"])]

    def __str__(self) -> str:
        return f"License key {self.prefix}… of purchase {self.purchase_id}"

    def status_at(self, now: dt.datetime | None = None) -> LicenseKey.Status:
        """Disabled wins over expired; a key with neither is active."""
        if self.disabled_at is not None:
            return self.Status.DISABLED
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> LicenseKey.Status:
        return self.status_at()

    @property
    def key(self) -> str:
        """The key text, derived anew (never stored)."""
        from marketplace_licenses.keys import derive

        return derive(self.purchase_id, self.nonce)


class Activation(models.Model):
    """One instance (a machine, an installation) a key is activated on."""

    license_key = models.ForeignKey(LicenseKey, on_delete=models.CASCADE,
                                    related_name="activations")
    instance_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("instance name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Activation {self.instance_id} ({self.name})"
