"""Support requests: a buyer asks the seller of a product they own for help.

Only :mod:`marketplace_support.services` changes these rows, and only as
:mod:`marketplace_support.status_machine` allows. The plugin writes no core
table; it points at core's ``PurchasedProduct``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace_support import status_machine
from marketplace_support.status_machine import Role, Status
from marketplace_support.validators import validate_https_url

if TYPE_CHECKING:
    from marketplace_core.catalog.models import Product
    from marketplace_core.people.types import User


class SupportRequestQuerySet(models.QuerySet["SupportRequest"]):
    def active(self) -> SupportRequestQuerySet:
        return self.filter(status__in=status_machine.ACTIVE)

    def of_buyer(self, user_id: int | None) -> SupportRequestQuerySet:
        """Requests the user opened (through their own purchases)."""
        return self.filter(purchase__buyer_id=user_id)

    def of_seller(self, user_id: int | None) -> SupportRequestQuerySet:
        """Requests about the user's products."""
        return self.filter(purchase__product__seller_id=user_id)


class SupportRequest(models.Model):
    """One request for help with a purchased product.

    ``admin_notes`` are the seller's own and never shown to the buyer.
    ``version`` counts changes the buyer is emailed about and
    ``notified_version`` the last one emailed, so a repeated email task sends
    nothing twice.
    """

    Status = Status

    purchase = models.ForeignKey(
        "marketplace_core.PurchasedProduct", on_delete=models.CASCADE,
        related_name="support_requests", verbose_name=_("purchase"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=status_machine.INITIAL
    )
    meeting_link = models.URLField(
        _("meeting link"), max_length=500, blank=True, validators=[validate_https_url]
    )
    admin_notes = models.TextField(_("seller's notes"), max_length=5000, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    #: When the request reached a final status.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    notified_version = models.PositiveIntegerField(default=0, editable=False)

    objects = SupportRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        indexes = [models.Index(fields=["status", "-created_at"], name="support_status_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase"],
                condition=Q(status__in=sorted(s.value for s in status_machine.ACTIVE)),
                name="support_one_active_request_per_purchase",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="support_status_known"
            ),
            models.CheckConstraint(
                condition=Q(meeting_link="") | Q(meeting_link__startswith="https://"),
                name="support_meeting_link_https",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_status_display()})"

    @property
    def product(self) -> Product:
        return self.purchase.product

    @property
    def buyer(self) -> User:
        return self.purchase.buyer

    @property
    def is_locked(self) -> bool:
        return status_machine.is_locked(self.status)

    @property
    def can_cancel(self) -> bool:
        """Whether the buyer may cancel it (only in its early stage)."""
        return status_machine.can(self.status, status_machine.Action.CANCEL, Role.BUYER)

    @property
    def can_complete(self) -> bool:
        """Whether the buyer may mark it completed (only while in progress)."""
        return status_machine.can(self.status, status_machine.Action.COMPLETE, Role.BUYER)

    def get_seller_url(self) -> str:
        """Path of the seller's page for this request."""
        return reverse("support:update", args=[self.pk])

    def get_buyer_url(self) -> str:
        """Path of the buyer's page for this request (its conversation)."""
        return reverse("support:detail", args=[self.pk])

    def url_for(self, role: str) -> str:
        """Path of the page of this request that ``role`` (buyer or seller) reads."""
        return self.get_seller_url() if Role(role) == Role.SELLER else self.get_buyer_url()


#: Longest message, in characters (the form and the database column agree).
MESSAGE_MAX_LENGTH = 5000


class SupportMessage(models.Model):
    """One message of a request's conversation, by its buyer or by the product's seller.

    The request's own ``message`` opens the conversation; these follow it.
    ``author_role`` is the side the author wrote from, so the other side is the
    one emailed. ``emailed_at`` is set, in the transaction that sends it, when
    the other side's email goes out: a repeated email task sends nothing twice.
    """

    support_request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="messages",
        verbose_name=_("support request"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("author"),
    )
    author_role = models.CharField(_("written as"), max_length=8, choices=[
        (Role.BUYER.value, _("Buyer")), (Role.SELLER.value, _("Seller")),
    ])
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("support message")
        verbose_name_plural = _("support messages")
        indexes = [models.Index(fields=["support_request", "created_at"],
                                name="support_message_thread")]
        constraints = [
            models.CheckConstraint(condition=Q(author_role__in=["buyer", "seller"]),
                                   name="support_message_role_known"),
            models.CheckConstraint(condition=~Q(body=""), name="support_message_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_role_display()}: {self.body[:40]}"

    def get_absolute_url(self) -> str:
        """The author's page of the request, at this message."""
        return f"{self.support_request.url_for(self.author_role)}#message-{self.pk}"

    @property
    def recipient_role(self) -> Role:
        """The side this message is emailed to."""
        return Role.SELLER if self.author_role == Role.BUYER else Role.BUYER
