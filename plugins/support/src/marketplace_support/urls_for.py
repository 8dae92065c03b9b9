"""Which of the plugin's pages a user should land on (no database access)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def my_support_url(user: Any) -> str:
    """The user's own requests, in the seller panel for sellers, else the customer panel."""
    if getattr(user, "is_seller", False):
        return reverse("support:seller_my_requests")
    return reverse("support:my_requests")
