"""The plugin's own table: which Dodo product sells each core product, and how its sync went.

Core's tables are never written here; core products are only read.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DodoProduct(models.Model):
    """A core product's counterpart at Dodo Payments and the state of keeping it current.

    ``state`` says whether Dodo has the product as it is now:

    - ``pending``: a sync is queued or being retried (``last_error`` says why
      the previous attempt failed, if one did);
    - ``synced``: Dodo has it with the name, description and price recorded in
      ``fingerprint``, as of ``synced_at``;
    - ``failed``: Dodo refused it (``last_error`` has Dodo's reason) or it
      could not be reached after every retry. The next save, or the next
      checkout, tries again.

    Read it through :func:`marketplace_payments_dodo.sync.sync_status`.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SYNCED = "synced", _("Synced")
        FAILED = "failed", _("Failed")

    product = models.OneToOneField(
        "marketplace_core.Product", on_delete=models.CASCADE, related_name="dodo_product"
    )
    dodo_product_id = models.CharField(max_length=64, blank=True, db_index=True)
    state = models.CharField(max_length=16, choices=State, default=State.PENDING)
    #: A hash of what was sent to Dodo; differs from the product's once it changes.
    fingerprint = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    #: Attempts since the last success (retries included).
    attempts = models.PositiveIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Dodo product")

    def __str__(self) -> str:
        return f"{self.product_id} → {self.dodo_product_id or '(not created)'} ({self.state})"


class DodoDiscount(models.Model):
    """A core discount code's counterpart at Dodo Payments.

    Keyed by the code's id, not a foreign key: when a seller deletes a code,
    this row outlives it until the task has deleted Dodo's copy. Dodo's code
    (``dodo_code``) is one Dodo generates: codes are unique per Dodo business,
    while two sellers here may both have ``SAVE10``. Buyers never see it; the
    checkout session carries it. ``fingerprint`` hashes what Dodo holds; empty
    with no ``dodo_discount_id`` means Dodo holds nothing (the code is
    inactive or deleted).
    """

    code_id = models.PositiveBigIntegerField(unique=True)
    dodo_discount_id = models.CharField(max_length=64, blank=True)
    dodo_code = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Dodo discount")

    def __str__(self) -> str:
        return f"code {self.code_id} → {self.dodo_discount_id or '(not at Dodo)'}"
