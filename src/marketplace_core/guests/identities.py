"""Guest identities: users made by a checkout without login, and their claim.

A guest is a user row of the project's user model (so every invariant and hook
that reads ``order.buyer`` holds unchanged) with an unusable password and
``Account.guest`` set. It ends in one of two ways, each exactly once:

- :func:`claim_identity`: the owner proved the address and set a password;
  the same row becomes a full account (its orders stay where they are).
- :func:`.attach.attach_guest_purchases`: an existing full account proved the
  guest's address; the guest's orders and purchases move to that account.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.people.models import Account
from marketplace_core.people.records import account, forget
from marketplace_core.people.users import create_user, normalize_email, users_with_email

if TYPE_CHECKING:
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.guests")


def is_guest(user: Any) -> bool:
    """Whether ``user`` is an unclaimed guest identity."""
    row = account(user)
    return bool(row is not None and row.guest)


def buyer_for_email(email: str) -> User:
    """Who buys with ``email`` at a checkout without login: the user with that
    address (guest or full account), else a new guest.

    An address several users share (a user model whose email is not unique)
    goes to the oldest of them. Never logs anyone in.
    """
    existing = users_with_email(email).order_by("pk").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            user = create_user(email, password=None)
            Account.objects.update_or_create(user_id=user.pk, defaults={
                "guest": True, "guest_email": normalize_email(email)})
    except IntegrityError:  # a concurrent checkout with this address made it first
        made: Any = users_with_email(email).order_by("pk").first()
        return made
    forget(user)
    logger.info("Guest buyer %s created", user.pk)
    return user


def claim_identity(user: Any) -> int:
    """Make guest ``user`` a full account (its owner proved the address and set
    a password); how many of its purchases are active. 0 and nothing changed
    when it was no guest (already claimed by a concurrent request)."""
    with transaction.atomic():
        claimed = Account.objects.filter(user_id=user.pk, guest=True).update(
            guest=False, claimed_at=timezone.now())
        forget(user)
        if not claimed:
            return 0
        return PurchasedProduct.objects.active().filter(buyer_id=user.pk).count()
