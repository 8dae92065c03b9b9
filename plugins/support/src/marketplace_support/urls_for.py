"""Which of the plugin's pages a user should land on."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def my_support_url(user: Any) -> str:
    """The user's own requests, in the seller panel for sellers, else the customer panel
    (:func:`marketplace_core.roles.is_seller`: at most one query per user object)."""
    from marketplace_core.roles import is_seller

    if is_seller(user):
        return reverse("support:seller_my_requests")
    return reverse("support:my_requests")
