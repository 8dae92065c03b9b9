"""A seller's webhook endpoints, the deliveries queued for them and each attempt.

See docs/webhooks-outbound.md. Rows change only through
:mod:`marketplace_core.outbound.services` and the sending task.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Longest response excerpt kept per attempt, in characters (about 1 KB).
EXCERPT_LENGTH = 1024
#: Longest endpoint URL.
URL_MAX_LENGTH = 2000


class WebhookEndpoint(models.Model):
    """Where a seller wants events: a URL, the event types, a signing secret.

    ``secret`` signs every delivery (``whsec_`` + base64, Standard Webhooks).
    After a rotation ``previous_secret`` also signs until
    ``previous_secret_expires_at``. ``failing_since`` is when the oldest
    delivery that has not yet succeeded first failed (cleared by a success);
    an endpoint whose deliveries all failed for the retry schedule is switched
    off (``is_active`` false) with ``disabled_reason``.
    """

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="webhook_endpoints")
    url = models.CharField(_("URL"), max_length=URL_MAX_LENGTH)
    description = models.CharField(_("description"), max_length=200, blank=True)
    #: Event types (``"order.paid"``...) it receives.
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class OutboundDelivery(models.Model):
    """One event for one endpoint: the signed message and where its sending stands.

    ``event_id`` (``msg_...``) is the Standard Webhooks ``webhook-id``: the same
    for every attempt and every resend, so receivers can drop duplicates; it is
    unique per endpoint, which makes emitting the same event twice harmless.
    ``attempts`` counts the attempts started; ``next_attempt_at`` is when the
    next one is due (``None`` once it succeeded or gave up).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event_type = models.CharField(max_length=64)
    event_id = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    #: ``attempts`` when the current retry schedule began (0; a resend restarts it).
    schedule_start = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: When the attempt in progress was claimed (a dead worker's claim expires).
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"],
                                    name="marketplace_outbound_event_once_per_endpoint"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="marketplace_outbound_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class OutboundAttempt(models.Model):
    """One try at sending a delivery: what the endpoint answered, or the error."""

    delivery = models.ForeignKey(OutboundDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    #: The HTTP status, ``None`` when there was no answer (see ``error``).
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"],
                                    name="marketplace_outbound_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.outcome}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def outcome(self) -> str:
        """``"HTTP 200"`` or the error, for the delivery log."""
        return f"HTTP {self.status_code}" if self.status_code is not None else self.error
