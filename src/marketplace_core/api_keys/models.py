"""The :class:`ApiKey` row: a seller's key, stored as a hash of its secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """One key of a seller for the API v1.

    The secret itself is never stored: ``secret_hash`` is the SHA-256 of the
    whole token (a high-entropy random string, so a plain hash suffices and
    allows a lookup by index). ``prefix`` is the token's first characters,
    shown in lists so a seller can tell keys apart. A revoked key stays, so
    its name and dates remain visible, and authenticates nothing.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(_("access"), max_length=8, choices=Scope, default=Scope.READ)
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Updated at most once a minute (see :func:`.services.authenticate`).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def allows(self, scope: str) -> bool:
        """Whether the key may do what ``scope`` (``"read"`` or ``"write"``) needs."""
        return scope == self.Scope.READ or self.scope == self.Scope.WRITE
