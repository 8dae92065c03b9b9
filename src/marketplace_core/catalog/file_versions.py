"""A product's files as versions: recorded on upload, listed newest first, deleted one by one.

``Product.file`` (with ``file_name``, ``file_size``, ``file_updated_at``) stays
the newest version's cached pointer, so everything that only needs "the file"
(publishing checks, the default download, storage backends) reads one row.
:func:`record_upload` and :func:`delete_version` keep the two in step inside
the caller's transaction.

A product saved before versions existed, or created without the catalog
service (fixtures, the admin), may have a file and no version row:
:func:`versions_of` then shows that file as version 1, and the next upload
records it as such before the new one.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from marketplace_core.catalog.file_deletion import schedule_file_deletion
from marketplace_core.catalog.models import Product, ProductFileVersion
from marketplace_core.exceptions import Rejected
from marketplace_core.storage.backends import download_link_ttl
from marketplace_core.transactions import after_commit


@dataclass(frozen=True)
class VersionDetails:
    """What the seller typed next to the file input."""

    label: str = ""
    release_notes: str = ""


def _next_number(product: Product) -> int:
    highest = product.file_versions.aggregate(highest=Max("number"))["highest"]
    return (highest or 0) + 1


def _version_of_current_file(product: Product, number: int) -> ProductFileVersion:
    return ProductFileVersion(
        product=product, number=number, label=str(number), file=product.file.name,
        file_name=product.file_name, file_size=product.file_size,
        created_at=product.file_updated_at or product.created_at,
    )


def record_upload(product: Product, *, previous: dict[str, Any] | None,
                  details: VersionDetails, upload: Any = None) -> ProductFileVersion:
    """Record ``product``'s just-saved file as its newest version.

    Call inside the transaction that saved ``product`` with the new file.
    ``previous`` holds the file fields it had before (``file``, ``file_name``,
    ``file_size``, ``file_updated_at``) or is ``None`` for its first file;
    when no version row holds that file (a product from before versions), it
    is recorded first, so it stays downloadable. The label defaults to the
    version's number.
    """
    number = _next_number(product)
    if previous and previous["file"] and number == 1:
        ProductFileVersion.objects.create(
            product=product, number=1, label="1", file=str(previous["file"]),
            file_name=previous["file_name"], file_size=previous["file_size"],
            created_at=previous["file_updated_at"] or product.created_at,
        )
        number = 2
    # What the browser said, unless it only said "some bytes": then the name's type.
    content_type = str(getattr(upload, "content_type", "") or "")
    if content_type in ("", "application/octet-stream"):
        content_type = mimetypes.guess_type(product.file_name)[0] or content_type
    label = details.label.strip()[:40] or str(number)
    return ProductFileVersion.objects.create(
        product=product, number=number, label=label, file=product.file.name,
        file_name=product.file_name, file_size=product.file_size,
        content_type=content_type[:100], release_notes=details.release_notes.strip(),
        created_at=product.file_updated_at or timezone.now(),
    )


def versions_of(product: Product) -> list[ProductFileVersion]:
    """``product``'s versions, newest first, in one query; a file without a
    version row is shown as an unsaved version 1 (no ``pk``)."""
    versions = list(product.file_versions.all())
    if not versions and product.file:
        return [_version_of_current_file(product, 1)]
    return versions


def delete_version(version: ProductFileVersion, *, seller_id: int) -> None:
    """Delete one of a product's versions; its file is deleted after links to it expire.

    Refused (:class:`Rejected`) when the product is not ``seller_id``'s
    (``not_owner``) or the version is its only one (``only_version``). When it
    is the newest, the product's file becomes the one before it. The product
    row is locked, so two deletions at once never leave it without a file.
    """
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=version.product_id).first()
        if product is None or product.seller_id != seller_id:
            raise Rejected("This is not your product.", code="not_owner")
        remaining = list(product.file_versions.exclude(pk=version.pk)
                         .order_by("-number")[:1])
        if not remaining:
            raise Rejected("A product keeps at least one file: upload a new version "
                           "before deleting this one.", code="only_version")
        name = version.file.name
        ProductFileVersion.objects.filter(pk=version.pk).delete()
        if product.file.name == name:
            newest = remaining[0]
            product.file = newest.file.name
            product.file_name = newest.file_name
            product.file_size = newest.file_size
            product.file_updated_at = newest.created_at
            product.save(update_fields=["file", "file_name", "file_size", "file_updated_at",
                                        "updated_at"])
        # Links issued before may have had the site's lifetime or the product's.
        after_commit(schedule_file_deletion, name,
                     countdown=max(download_link_ttl(product), download_link_ttl()))
