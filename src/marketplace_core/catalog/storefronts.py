"""A seller's storefront address (``/sellers/<slug>/``) and what it may be.

The slug is made from the seller's shown name the first time something needs
it (:func:`storefront_slug`: becoming a seller, their product page, their
storefront settings) and the seller may change it later
(:func:`validate_storefront_slug` says why one is refused). Made slugs never
collide: a taken or reserved one gets a number (``ada-2`` up to ``ada-9``, then a random
suffix: ``ada-3f9a1c``), and a concurrent
claim of the same slug loses to the unique constraint and takes the next.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from marketplace_core.catalog.images import discard_unsaved, schedule_image_deletion
from marketplace_core.catalog.versions import bump_after_commit
from marketplace_core.media.storage import media_storage
from marketplace_core.people.models import SellerProfile, avatar_path
from marketplace_core.people.records import seller_profile, shop_name
from marketplace_core.people.users import email_of

if TYPE_CHECKING:
    from marketplace_core.media.validation import ValidatedImage

#: Slugs no seller may have: words that read as the site's own pages.
RESERVED_SLUGS = frozenset({
    "about", "account", "accounts", "admin", "api", "checkout", "contact", "dashboard",
    "download", "downloads", "help", "home", "login", "logout", "marketplace", "new",
    "official", "panel", "payments", "privacy", "products", "profile", "receipts",
    "register", "robots", "search", "security", "seller", "sellers", "settings", "shop",
    "signup", "sitemap", "staff", "static", "support", "terms", "www",
})
MAX_SLUG_LENGTH = SellerProfile._meta.get_field("slug").max_length or 60
MIN_SLUG_LENGTH = 2


def validate_storefront_slug(slug: str, *, seller_id: Any) -> None:
    """Raise ``ValidationError`` (a message for the seller's form) unless ``slug``
    may be the storefront address of seller ``seller_id``: a slug's characters,
    not reserved, not another seller's."""
    if len(slug) < MIN_SLUG_LENGTH:
        raise ValidationError(_("Use at least %(count)d characters.") % {
            "count": MIN_SLUG_LENGTH}, code="short")
    if slug != slugify(slug) or slug.strip("-") != slug:
        raise ValidationError(
            _("Use lowercase letters, numbers and hyphens (not at either end)."), code="invalid")
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved: choose another address.")
                              % {"slug": slug}, code="reserved")
    if SellerProfile.objects.filter(slug=slug).exclude(pk=seller_id).exists():
        raise ValidationError(_("Another seller has this address: choose another."),
                              code="taken")


def slug_base(name: str) -> str:
    """The slug a name gives (ASCII, lowercase, hyphens), cut to leave room for a
    number; ``"seller"``-prefixed when it is too short or reserved."""
    base = slugify(name)[: MAX_SLUG_LENGTH - 6].strip("-")
    if len(base) < MIN_SLUG_LENGTH or base in RESERVED_SLUGS:
        base = f"seller-{base}".strip("-")
    return base


def public_name(user: Any) -> str:
    """The seller's chosen or full name, never their address (a slug is public:
    a user model's ``get_full_name`` may fall back to the email address)."""
    full_name = getattr(user, "get_full_name", None)
    name = shop_name(user).strip() or (str(full_name() or "").strip() if full_name else "")
    return "" if "@" in name or name == email_of(user) else name


def storefront_slug(profile: SellerProfile, user: Any | None = None) -> str:
    """``profile``'s slug, made (and saved) from the seller's shown name when it
    has none yet. ``user`` is the profile's user when the caller has it (saves
    a query)."""
    if profile.slug:
        return profile.slug
    base = slug_base(public_name(user if user is not None else profile.user))
    numbered = _numbered(base)
    # The few numbered slugs only, never every "<base>-..." (a common name, or the
    # "seller" of everyone without one, would read them all for each new seller).
    taken: set[str] = {slug for slug in SellerProfile.objects.filter(slug__in=numbered)
                       .values_list("slug", flat=True) if slug}
    for candidate in _candidates(numbered):
        if candidate in taken or candidate in RESERVED_SLUGS:
            continue
        try:
            with transaction.atomic():
                # Only where none was set meanwhile (a concurrent first need).
                updated = SellerProfile.objects.filter(pk=profile.pk, slug__isnull=True).update(
                    slug=candidate)
        except IntegrityError:  # another seller claimed it just now
            taken.add(candidate)
            continue
        # No cached page needs replacing: every page that links the storefront
        # asks for its address first (the page being rendered now included).
        if not updated:
            profile.refresh_from_db(fields=["slug"])
        else:
            profile.slug = candidate
        return profile.slug or candidate
    raise AssertionError("unreachable: _candidates never ends")


#: How many numbered slugs a name tries (``ada``, ``ada-2`` ... ``ada-9``) before a random one.
NUMBERED_TRIES = 9


def _numbered(base: str) -> list[str]:
    return [base, *(f"{base}-{number}" for number in range(2, NUMBERED_TRIES + 1))]


def _candidates(numbered: list[str]) -> Iterator[str]:
    """The numbered slugs, then ``<base>-<random>`` for ever."""
    yield from numbered
    while True:
        yield f"{numbered[0]}-{secrets.token_hex(3)}"


def storefront_url(user: Any) -> str:
    """The address of ``user``'s storefront ("" unless they are an active seller),
    its slug made when they have none yet. Reads the seller's profile from the
    user's relation cache (``select_related("…__marketplace_seller")``)."""
    profile = seller_profile(user)
    if profile is None or not profile.active:
        return ""
    return reverse("marketplace:seller_storefront", kwargs={"slug": storefront_slug(profile, user)})


def update_storefront(profile: SellerProfile, *, slug: str, bio: str,
                      avatar: ValidatedImage | None = None, remove_avatar: bool = False) -> bool:
    """Save the seller's storefront address and bio, and ``avatar`` (checked by
    :func:`marketplace_core.media.avatars.avatar_image`) or no avatar with
    ``remove_avatar``; ``False`` (nothing saved, the new avatar's file deleted)
    when another seller took ``slug`` since it was validated. The old avatar's
    file goes after commit; cached pages that show them are replaced."""
    changes: dict[str, Any] = {"slug": slug, "bio": bio}
    old_avatar = profile.avatar.name or ""
    stored = ""
    if avatar is not None:
        stored = media_storage().save(avatar_path(profile, avatar.content.name or "avatar.png"),
                                      avatar.content)
        changes.update(avatar=stored, avatar_size=avatar.width)
    elif remove_avatar:
        changes.update(avatar="", avatar_size=None)
    try:
        with transaction.atomic():
            SellerProfile.objects.filter(pk=profile.pk).update(**changes)
            if old_avatar and "avatar" in changes:
                transaction.on_commit(lambda: schedule_image_deletion(old_avatar, None))
    except IntegrityError:
        if stored:
            discard_unsaved(stored)
        return False
    for field, value in changes.items():
        setattr(profile, field, value)
    bump_after_commit()
    return True
