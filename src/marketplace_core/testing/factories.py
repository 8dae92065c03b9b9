"""Small factories for tests: every object is saved and valid.

Users are made for whatever ``AUTH_USER_MODEL`` is (core's ``User`` or a
project's own), through the model's ``create_user``; seller status and the
verified address go to core's rows, like on a real site. Each factory accepts
overrides for any field. Products get a real file on the
configured storage so downloads can be checked byte for byte. :func:`buy` and
:func:`refund` go through core's ownership services (as a provider's verified
webhook would); :func:`logged_in` gives a test client signed in as a user.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django.utils.text import slugify

from marketplace_core import roles
from marketplace_core.catalog.models import Category, Product
from marketplace_core.ownership import services
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.people.records import mark_email_verified
from marketplace_core.people.users import create_user
from marketplace_core.roles import Role

User = Any  # an instance of settings.AUTH_USER_MODEL

DEFAULT_PASSWORD = "correct-horse-battery-staple"  # noqa: S105
_counter = itertools.count(1)


def make_user(*, email: str | None = None, password: str = DEFAULT_PASSWORD,
              role: str = Role.CUSTOMER, name: str | None = None, email_verified: bool = True,
              **fields: Any) -> User:
    """A user of the configured user model, active, with a usable password.

    ``name`` is the shop name (core's ``User.name``, else the account row);
    ``role=Role.SELLER`` makes a seller; ``email_verified`` records the address
    as proved. Other ``fields`` are set on the user model (e.g. ``is_active``).
    """
    n = next(_counter)
    user = create_user(email or f"user{n}@example.com", password,
                       f"User {n}" if name is None else name)
    if fields:
        for key, value in fields.items():
            setattr(user, key, value)
        user.save(update_fields=list(fields))
    if email_verified:
        mark_email_verified(user)
    if role == Role.SELLER:
        roles.make_seller(user)
    return user


def make_seller(**fields: Any) -> User:
    n = next(_counter)
    fields.setdefault("email", f"seller{n}@example.com")
    fields.setdefault("name", f"Seller {n}")
    return make_user(role=Role.SELLER, **fields)


def make_category(*, seller: User | None = None, name: str | None = None) -> Category:
    seller = seller or make_seller()
    name = name or f"Category {next(_counter)}"
    return Category.objects.create(seller=seller, name=name, slug=slugify(name))


def make_product(*, seller: User | None = None, title: str | None = None,
                 content: bytes | None = b"%PDF-1.4 demo file\n", file_name: str = "guide.pdf",
                 status: str = Product.Status.PUBLISHED, **fields: Any) -> Product:
    """A product; ``content=None`` makes one without a file."""
    seller = seller or make_seller()
    n = next(_counter)
    title = title or f"Product {n}"
    fields.setdefault("price", 1999)
    fields.setdefault("currency", "USD")
    fields.setdefault("slug", f"{slugify(title)}-{n}")
    product = Product(seller=seller, title=title, status=status, **fields)
    if content is not None:
        product.set_file(ContentFile(content, name=file_name), original_name=file_name)
    if status == Product.Status.PUBLISHED and "published_at" not in fields:
        # Published after its first upload, as through the seller's form.
        product.published_at = timezone.now()
    product.save()
    return product


def buy(buyer: Any, product: Product) -> PurchasedProduct:
    """Pay for ``product`` through core's services, as a verified webhook would.

    Checks out with the ``dummy`` provider, confirms the full payment (failing
    unless the outcome is ``CONFIRMED``) and returns the purchase it granted,
    with its ``product`` loaded.
    """
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    outcome = services.confirm_payment(
        provider="dummy", order_reference=order.reference,
        provider_payment_id=f"pay_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )
    assert outcome == services.Outcome.CONFIRMED, outcome
    return PurchasedProduct.objects.select_related("product").get(order=order)


def refund(purchase: PurchasedProduct, *, refund_id: str | None = None) -> None:
    """Refund the whole order of ``purchase`` through core: ownership is revoked.

    The provider's refund id is ``refund_id``, by default ``ref_<order reference>``
    (so refunding the same purchase twice is a repeated refund, and fails).
    Fails unless the outcome is ``REFUNDED``.
    """
    order = purchase.order
    outcome = services.record_refund(
        provider="dummy", order_reference=order.reference,
        provider_refund_id=refund_id or f"ref_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )
    assert outcome == services.Outcome.REFUNDED, outcome


def logged_in(user: Any) -> Client:
    """A new Django test client with ``user`` signed in (no password needed)."""
    client = Client()
    client.force_login(user)
    return client
