"""Where a buyer finds what they just bought."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from marketplace_core.roles import is_seller

if TYPE_CHECKING:
    from marketplace_core.people.types import User


def purchases_url(user: User) -> str:
    """The user's purchased products page, in their own panel.

    Customers land on My Products; sellers on the same list inside the seller
    panel (SellerMyProductListView). PaymentSuccessView sends buyers here once
    the payment is confirmed. Logging in still goes through ``resolve_home_url``
    (sellers to their dashboard).
    """
    if is_seller(user):
        return reverse("marketplace:seller_my_products")
    return reverse("marketplace:my_products")
