"""Core-owned rows about a person, keyed by ``settings.AUTH_USER_MODEL``.

Both are optional: a user without a row is a customer with an unverified
address and no marketplace name. Rows are created when something needs them
(:mod:`.records`, :mod:`marketplace_core.roles`), never required up front, so a
project's existing users work as they are.

The reverse accessors on the user model carry a ``marketplace_`` prefix so they
cannot clash with the project's own fields.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace_core.media.storage import AVATARS, media_storage, new_image_name


class Account(models.Model):
    """The marketplace's record of a person: the address they proved and, when
    the user model has no name field of its own, the name shown in the shop."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="marketplace_account", verbose_name=_("user"),
    )
    #: The address the person proved (a verification link, a password reset).
    #: "Verified" means it equals the user's current address, so an address
    #: the project changes is unverified again without telling core.
    verified_email = models.EmailField(_("verified email address"), max_length=254, blank=True)
    display_name = models.CharField(
        _("name in the shop"), max_length=150, blank=True,
        help_text=_("Used when the user model has no name field of its own."),
    )
    #: Made by a checkout without login (:mod:`marketplace_core.guests`): the
    #: person has no password and logs in only through emailed links. Off once
    #: they claim it (set a password) or their purchases move to an account.
    guest = models.BooleanField(_("guest buyer"), default=False)
    #: When the guest identity was claimed (made a full account or attached to one).
    claimed_at = models.DateTimeField(_("guest claimed at"), null=True, blank=True)
    #: The address a guest was made for, normalized: one unclaimed guest per
    #: address even where the user model lets several users share one.
    guest_email = models.EmailField(_("guest's address"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("marketplace account")
        verbose_name_plural = _("marketplace accounts")
        constraints = [
            # Concurrent checkouts with a new address make one guest.
            models.UniqueConstraint(fields=["guest_email"], condition=models.Q(guest=True),
                                    name="marketplace_one_guest_per_address"),
        ]

    def __str__(self) -> str:
        return str(self.user)


def avatar_path(instance: SellerProfile, filename: str) -> str:
    """A fresh ``avatars/<uuid4 hex>.<ext>`` (the seller's file name is not kept)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return new_image_name(AVATARS, extension)


class SellerProfile(models.Model):
    """A person who sells: one row per seller, made by
    :func:`marketplace_core.roles.make_seller`.

    Revoking sets ``active`` off instead of deleting the row, so what the seller
    set up (and what later issues add here: storefront slug, bio, avatar)
    survives a pause.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="marketplace_seller", verbose_name=_("user"),
    )
    active = models.BooleanField(
        _("may sell"), default=True,
        help_text=_("Off: the seller panel answers 403; products and sales stay."),
    )
    created_at = models.DateTimeField(_("seller since"), auto_now_add=True)
    #: The storefront's address, ``/sellers/<slug>/``: made from the seller's name
    #: the first time it is needed (:func:`marketplace_core.catalog.storefronts.storefront_slug`),
    #: editable by the seller. ``None`` until then (unique, so not "").
    slug = models.SlugField(
        _("storefront address"), max_length=60, unique=True, null=True, blank=True,
    )
    #: A few lines about the seller on their storefront: Markdown, rendered sanitized.
    bio = models.TextField(_("about you"), max_length=2000, blank=True)
    #: The seller's picture on their storefront: a square of at most 256 pixels
    #: (:func:`marketplace_core.media.avatars.avatar_image`) on the public media
    #: storage; initials are shown without one.
    avatar = models.FileField(_("avatar"), storage=media_storage, upload_to=avatar_path,
                              max_length=200, blank=True)
    avatar_size = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("seller")
        verbose_name_plural = _("sellers")

    def __str__(self) -> str:
        return str(self.user)
