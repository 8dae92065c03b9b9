"""Short links and the click-flush bookkeeping.

Rows are written only through :mod:`marketplace_shorturl.services` (links) and
:mod:`marketplace_shorturl.flush` (click counts).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Longest slug a seller may choose.
SLUG_MAX_LENGTH = 64
#: Longest destination URL accepted (what browsers and proxies reliably handle).
DESTINATION_MAX_LENGTH = 2048


class ShortURL(models.Model):
    """A seller's short link: ``/<prefix>/<slug>`` redirects to ``destination``.

    ``slug`` is stored lowercase and unique; links resolve case-insensitively.
    ``clicks`` is the count of redirects served up to the last flush, ``views``
    the product pages of the seller viewed after a click (see
    :mod:`marketplace_shorturl.attribution`). ``max_visits``: past that many
    redirects the link answers 410, like an expired one.
    """

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="short_urls",
        verbose_name=_("seller"),
    )
    slug = models.CharField(_("slug"), max_length=SLUG_MAX_LENGTH, unique=True)
    destination = models.URLField(_("destination"), max_length=DESTINATION_MAX_LENGTH)
    is_active = models.BooleanField(_("active"), default=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0, editable=False)
    views = models.PositiveBigIntegerField(_("product views"), default=0, editable=False)
    max_visits = models.PositiveIntegerField(_("maximum visits"), null=True, blank=True,
                                             validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("short URL")
        verbose_name_plural = _("short URLs")
        indexes = [models.Index(fields=["seller", "-created_at"], name="shorturl_seller_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(slug=Lower("slug")),
                                   name="shorturl_slug_lowercase"),
        ]

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> ShortURL:
        obj = super().from_db(*args, **kwargs)
        # Remembered so a slug change can invalidate the old slug's cache entry too.
        obj._loaded_slug = obj.__dict__.get("slug")  # type: ignore[attr-defined]
        return obj

    @property
    def path(self) -> str:
        """The short link's path on this site (``/s/<slug>``)."""
        return reverse("shorturl:redirect", kwargs={"slug": self.slug})

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class ClickFlushState(models.Model):
    """How far the click journal in the shared cache has been applied to ``clicks``.

    One row (``name="clicks"``, created by the migration). A flush advances
    ``(epoch, seq)`` in the same transaction as the counts it adds, so a batch
    is applied exactly once even when a flush crashes or two run at once.
    """

    name = models.CharField(max_length=32, primary_key=True)
    epoch = models.CharField(max_length=64, blank=True, default="")
    seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.epoch}/{self.seq}"


class MissedInvalidation(models.Model):
    """A link change whose cache invalidation could not reach the shared cache.

    Written after the change committed while the cache was unreachable; replayed
    (the slug gets a new version, then the row is deleted) by the first lookup
    of each process that noticed the outage once the cache answers again, and
    by the periodic ``shorturl.replay_invalidations`` task. So a change saved
    during an outage is not hidden by a link the cache kept from before it.
    """

    slug = models.CharField(max_length=SLUG_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class AttributedOrder(models.Model):
    """An order whose checkout carried a short link's attribution cookie.

    Written by the ``checkout_started`` hook (the link clicked last, within the
    attribution window, if it is the order's seller's); counted as a purchase
    from ``paid_at`` (``payment_confirmed``), with ``refunded`` minor units taken
    back out by refunds. Nothing about the buyer is kept: the order reference is
    the key, the amount and currency are the order's.
    """

    order_reference = models.UUIDField(unique=True)
    link = models.ForeignKey(ShortURL, on_delete=models.CASCADE, related_name="orders")
    #: When the attributed click happened (from the cookie).
    clicked_at = models.DateTimeField()
    amount = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["link", "paid_at"], name="shorturl_attributed_paid")]

    def __str__(self) -> str:
        return f"order {self.order_reference} via {self.link_id}"
