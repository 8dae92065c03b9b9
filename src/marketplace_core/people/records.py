"""The core-owned rows of a person (:class:`~.models.Account`,
:class:`~.models.SellerProfile`): read them cheaply, create them when needed.

Reading goes through the user object's relation cache: the first read loads
both rows with one query (a join from the user table) and every later read on
the same object is free, so a page that asks "seller?" and "verified?" for
``request.user`` pays one query. Lists select the rows with the users they
show (:func:`person_related`), so names cost no query per row.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from marketplace_core.people.models import Account, SellerProfile
from marketplace_core.people.users import email_of, normalize_email, own_name_field

ACCOUNT = "marketplace_account"
SELLER = "marketplace_seller"


def person_related(path: str) -> tuple[str, str]:
    """``select_related`` paths for the user at ``path`` (e.g. ``"seller"``) with
    the row its display name may come from."""
    return path, f"{path}__{ACCOUNT}"


def _rel(user: Any, name: str) -> Any:
    # user.__class__, not type(user): request.user is a SimpleLazyObject around the user.
    return user.__class__._meta.get_field(name)


def _cache(user: Any, name: str, row: Any) -> None:
    rel = _rel(user, name)
    rel.set_cached_value(user, row)
    if row is not None:
        rel.field.set_cached_value(row, user)


def load(user: Any) -> None:
    """Put both rows of ``user`` (or ``None`` for a missing one) into its relation
    cache with one query, unless both are there already."""
    if getattr(user, "pk", None) is None:
        return
    names = (ACCOUNT, SELLER)
    if all(_rel(user, name).is_cached(user) for name in names):
        return
    fetched = (user.__class__._default_manager.select_related(*names)
               .filter(pk=user.pk).first())
    for name in names:
        row = _rel(fetched, name).get_cached_value(fetched, None) if fetched else None
        _cache(user, name, row)


def _cached(user: Any, name: str) -> Any:
    if getattr(user, "pk", None) is None:
        return None
    rel = _rel(user, name)
    if not rel.is_cached(user):
        load(user)
    return rel.get_cached_value(user, None)


def account(user: Any) -> Account | None:
    """The :class:`Account` of ``user``, ``None`` when none was needed yet."""
    row: Account | None = _cached(user, ACCOUNT)
    return row


def seller_profile(user: Any) -> SellerProfile | None:
    """The :class:`SellerProfile` of ``user`` (active or not), or ``None``."""
    row: SellerProfile | None = _cached(user, SELLER)
    return row


def forget(user: Any) -> None:
    """Drop the cached rows of ``user`` so that the next read asks the database."""
    for name in (ACCOUNT, SELLER):
        rel = _rel(user, name)
        if rel.is_cached(user):
            rel.delete_cached_value(user)


def ensure_account(user: Any) -> Account:
    """The :class:`Account` of ``user``, created (empty) when missing; safe
    against a concurrent request creating it first."""
    row = account(user)
    if row is None:
        try:
            with transaction.atomic():
                row, _ = Account.objects.get_or_create(user_id=user.pk)
        except IntegrityError:  # created by a concurrent request since the read
            row = Account.objects.get(user_id=user.pk)
        _cache(user, ACCOUNT, row)
    return row


def is_email_verified(user: Any) -> bool:
    """Whether ``user`` proved the address it has now."""
    row = account(user)
    current = normalize_email(email_of(user))
    return bool(row and current and normalize_email(row.verified_email) == current)


def mark_email_verified(user: Any, email: str | None = None) -> bool:
    """Record that ``user`` proved ``email`` (by default its current address).

    Returns ``False`` when that address was already verified: of two concurrent
    calls, only one returns ``True`` (a conditional update).
    """
    address = email if email is not None else email_of(user)
    if not address:
        return False
    ensure_account(user)
    updated = (Account.objects.filter(user_id=user.pk)
               .exclude(verified_email__iexact=address)
               .update(verified_email=address))
    if updated:
        # The verification banner of their cached pages (a function-level import:
        # the page cache's module reads these records).
        from marketplace_core.catalog.visitors import bump_person_after_commit

        bump_person_after_commit(user.pk)
    forget(user)
    return bool(updated)


def shop_name(user: Any) -> str:
    """The name the person chose in the shop ("" when none): the user model's
    own :data:`~.users.NAME_FIELD`, else ``Account.display_name``."""
    field = own_name_field(user.__class__)
    if field:
        return str(getattr(user, field, "") or "")
    row = account(user)
    return row.display_name if row else ""


def set_shop_name(user: Any, name: str) -> None:
    """Store the person's name in the shop where :func:`shop_name` reads it."""
    field = own_name_field(user.__class__)
    if field:
        setattr(user, field, name)
        user.save(update_fields=[field])
        return
    row = ensure_account(user)
    row.display_name = name
    row.save(update_fields=["display_name"])
