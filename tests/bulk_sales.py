"""Many customers and orders at once (``bulk_create``), for query-count and memory tests.

The rows are what core's services would leave behind for paid orders: an
order with ``paid_at`` per sale (no payment or ownership rows, which the
customers page and the exports do not read). Works with any user model that
has an email field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from marketplace_core.ownership.models import Order
from marketplace_core.people.users import email_field_name

BATCH = 2000


def bulk_users(count: int, *, prefix: str = "bulk") -> list[Any]:
    """``count`` new users ``<prefix><i>@example.com`` with unusable passwords, saved."""
    model = get_user_model()
    email = email_field_name(model) or "email"
    users = []
    for i in range(count):
        fields = {email: f"{prefix}{i}@example.com"}
        if email != model.USERNAME_FIELD:
            fields[model.USERNAME_FIELD] = f"{prefix}-{i}"
        user = model(**fields)
        user.set_unusable_password()
        users.append(user)
    model._default_manager.bulk_create(users, batch_size=BATCH)
    # bulk_create sets primary keys on PostgreSQL and SQLite alike.
    return users


def bulk_orders(buyers: list[Any], product: Any, *, per_buyer: int = 1,
                start: dt.datetime | None = None, currency: str | None = None) -> int:
    """``per_buyer`` paid orders of ``product`` for each of ``buyers``, a minute
    apart from ``start``; how many were made."""
    start = start or timezone.now() - dt.timedelta(days=30)
    orders = (
        Order(buyer_id=buyer.pk, product_id=product.pk, amount=product.price,
              currency=currency or product.currency, status=Order.Status.PAID,
              provider="dummy", paid_at=start + dt.timedelta(minutes=n))
        for n, buyer in enumerate(buyer for buyer in buyers for _ in range(per_buyer))
    )
    made = 0
    chunk: list[Order] = []
    for order in orders:
        chunk.append(order)
        if len(chunk) == BATCH:
            made += len(Order.objects.bulk_create(chunk))
            chunk = []
    if chunk:
        made += len(Order.objects.bulk_create(chunk))
    return made
