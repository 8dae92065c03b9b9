"""Moving a guest's purchases to the full account that proved its address."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from marketplace_core.guests.identities import is_guest
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.ownership.services import revoke_ownership
from marketplace_core.people.models import Account
from marketplace_core.people.users import users_with_email

logger = logging.getLogger("marketplace_core.guests")

#: ``revoke_reason`` of a guest's ownership that an account already held when
#: the guest's purchases moved to it (the account keeps its own).
DUPLICATE_REASON = "duplicate: owned by the account it joined"

#: How often one guest's move is started again after losing a race (below).
MOVE_ATTEMPTS = 3


def attach_guest_purchases(owner: Any, email: str) -> int:
    """Move the orders and purchases of every guest with ``email`` to ``owner``,
    a full account that just proved that address; how many active purchases
    it gained.

    Each guest moves in one transaction that starts by claiming it (a
    conditional update, which locks its row): of concurrent calls, one moves
    it and the others find it claimed and move nothing. Where both own a
    product actively, the account keeps its ownership and the guest's is
    revoked (:data:`DUPLICATE_REASON`), so one active ownership per buyer and
    product holds; a guest's open checkout for a product the account also has
    one for expires. When the account gains a product the guest owns while
    the move runs (its own payment commits in between), the move's
    transaction fails on the unique ownership index and is started again; the
    next attempt sees that ownership and revokes the guest's copy.
    """
    if is_guest(owner):
        return 0
    guest_ids = list(Account.objects.filter(guest=True, user__in=users_with_email(email)
                                            .exclude(pk=owner.pk).values("pk"))
                     .values_list("user_id", flat=True))
    gained = 0
    for guest_id in guest_ids:
        gained += _move_retrying(guest_id, owner)
    return gained


def _move_retrying(guest_id: Any, owner: Any) -> int:
    for attempt in range(1, MOVE_ATTEMPTS + 1):
        try:
            return _move(guest_id, owner)
        except IntegrityError:
            # Rolled back whole (the claim too): nothing moved, so starting over is safe.
            if attempt == MOVE_ATTEMPTS:
                raise
            logger.warning("Guest %s: a purchase of user %s committed during the move; "
                           "moving again", guest_id, owner.pk)
    raise AssertionError("unreachable")


def _move(guest_id: Any, owner: Any) -> int:
    with transaction.atomic():
        # The claim is the first write: it waits for (and then sees) a concurrent one.
        if not Account.objects.filter(user_id=guest_id, guest=True).update(
                guest=False, claimed_at=timezone.now()):
            return 0
        # Wait for a login by one of the guest's links (it locks the user row too).
        list(get_user_model()._default_manager.select_for_update()
             .filter(pk=guest_id).values_list("pk"))
        held = PurchasedProduct.objects.active().filter(buyer_id=owner.pk,
                                                        product_id=OuterRef("product_id"))
        for purchase in PurchasedProduct.objects.active().filter(buyer_id=guest_id).filter(
                Exists(held)):
            revoke_ownership(purchase, reason=DUPLICATE_REASON)
        open_here = Order.objects.filter(buyer_id=owner.pk, product_id=OuterRef("product_id"),
                                         status=Order.Status.PENDING)
        Order.objects.filter(buyer_id=guest_id, status=Order.Status.PENDING).filter(
            Exists(open_here)).update(status=Order.Status.EXPIRED, updated_at=timezone.now())
        gained = PurchasedProduct.objects.active().filter(buyer_id=guest_id).count()
        Order.objects.filter(buyer_id=guest_id).update(buyer_id=owner.pk)
        PurchasedProduct.objects.filter(buyer_id=guest_id).update(buyer_id=owner.pk)
    logger.info("Guest %s attached to user %s (%s purchases)", guest_id, owner.pk, gained)
    return gained
