"""Small factories for tests: every object is saved and valid.

Each accepts overrides for any field. Products get a real file on the
configured storage so downloads can be checked byte for byte.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify

from marketplace_core.accounts.models import Role, User
from marketplace_core.catalog.models import Category, Product

DEFAULT_PASSWORD = "correct-horse-battery-staple"  # noqa: S105
_counter = itertools.count(1)


def make_user(*, email: str | None = None, password: str = DEFAULT_PASSWORD,
              role: str = Role.CUSTOMER, **fields: Any) -> User:
    n = next(_counter)
    fields.setdefault("name", f"User {n}")
    fields.setdefault("email_verified", True)
    return User.objects.create_user(email or f"user{n}@example.com", password, role=role,
                                    **fields)


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
