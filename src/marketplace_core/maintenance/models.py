"""The run-time maintenance switch, one row shared by every process."""

from __future__ import annotations

from django.db import models


class MaintenanceState(models.Model):
    """Whether maintenance mode was switched on at run time (row ``pk=1``).

    Written by ``manage.py maintenance`` and the admin through
    :func:`marketplace_core.maintenance.state.switch`; read by every process
    through :func:`~marketplace_core.maintenance.state.is_enabled`. No row
    means off.
    """

    SINGLETON_PK = 1

    enabled = models.BooleanField(default=False)
    #: Shown on the maintenance page under the standard text (plain text).
    message = models.TextField(
        blank=True, max_length=1000,
        help_text="Shown to visitors on the maintenance page, e.g. when the site is back.",
    )
    changed_by = models.CharField(max_length=255, blank=True, editable=False)
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "maintenance mode"
        verbose_name_plural = "maintenance mode"

    def __str__(self) -> str:
        return f"Maintenance mode {'on' if self.enabled else 'off'}"
