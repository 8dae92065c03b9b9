"""Who sells: the one place that decides, for any user model.

A person is a seller while they have an active
:class:`~marketplace_core.people.models.SellerProfile`; everyone logged in is a
customer (sellers buy too). A project makes an existing user a seller with one
call, from its own code, a data migration or a signal::

    from marketplace_core.roles import make_seller

    make_seller(user)

The admin (the "Make seller" action, the sellers list) and
``manage.py marketplace_seller add <username-or-email>`` call the same
functions. Both are idempotent and atomic.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from marketplace_core.catalog.storefronts import storefront_slug
from marketplace_core.catalog.versions import bump_after_commit
from marketplace_core.catalog.visitors import bump_person_after_commit
from marketplace_core.people.models import SellerProfile
from marketplace_core.people.records import SELLER, forget, seller_profile


class Role(models.TextChoices):
    """The two roles a page can be for (a seller is also a customer)."""

    CUSTOMER = "customer", _("Customer")
    SELLER = "seller", _("Seller")


def is_seller(user: Any) -> bool:
    """Whether ``user`` may use the seller panel (``False`` for anonymous users).

    Costs at most one query per user object (shared with the email-verified
    state, see :func:`marketplace_core.people.records.load`).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    profile = seller_profile(user)
    return bool(profile and profile.active)


def role_of(user: Any) -> Role:
    return Role.SELLER if is_seller(user) else Role.CUSTOMER


def make_seller(user: Any) -> SellerProfile:
    """Let ``user`` sell: create its seller profile, or switch a revoked one back
    on. Calling it for a seller changes nothing."""
    if getattr(user, "pk", None) is None:
        raise ValueError("Save the user before making it a seller.")
    try:
        with transaction.atomic():
            profile, created = SellerProfile.objects.get_or_create(user_id=user.pk)
    except IntegrityError:  # a concurrent call created it first
        profile, created = SellerProfile.objects.get(user_id=user.pk), False
    if created:
        storefront_slug(profile, user)  # their storefront's address, from their name
    if not created and not profile.active:
        SellerProfile.objects.filter(pk=profile.pk).update(active=True)
        profile.active = True
        bump_person_after_commit(user.pk)  # the seller's links in their cached pages
        bump_after_commit()  # their storefront opens again, product pages link it
    forget(user)
    return profile


def revoke_seller(user: Any) -> bool:
    """Stop ``user`` selling (the seller panel answers 403); the profile, the
    products and the sales stay. ``False`` when it was not selling."""
    updated = SellerProfile.objects.filter(user_id=user.pk, active=True).update(active=False)
    if updated:
        bump_person_after_commit(user.pk)
        bump_after_commit()  # their storefront closes, product pages stop linking it
    forget(user)
    return bool(updated)


def sellers_filter(path: str = "") -> dict[str, Any]:
    """Keyword arguments of ``filter()`` for active sellers, for a queryset of the
    user model (``path=""``) or of a model pointing at users (``path="seller"``)."""
    prefix = f"{path}__" if path else ""
    return {f"{prefix}{SELLER}__active": True}
