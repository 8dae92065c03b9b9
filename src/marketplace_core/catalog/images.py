"""A product's pictures: its cover and its gallery (state changes for both).

Images arrive here already checked and re-encoded (:func:`~marketplace_core.media.
validation.validate_image`). Each stored image gets its size variants from a Celery
task queued after commit; a replaced or removed image loses its files and variants
after commit too, so a rolled-back change never deletes what the row still names.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max

from marketplace_core.catalog.models import Product, ProductImage
from marketplace_core.catalog.versions import bump_after_commit
from marketplace_core.conf import conf
from marketplace_core.exceptions import Rejected
from marketplace_core.media.validation import ValidatedImage
from marketplace_core.transactions import after_commit

if TYPE_CHECKING:
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.catalog")


def schedule_variants(kind: str, pk: int, name: str) -> None:
    """Queue :func:`~marketplace_core.catalog.tasks.make_image_variants`; a broker
    error is logged (pages use the original until variants exist)."""
    from marketplace_core.catalog.tasks import make_image_variants

    try:
        make_image_variants.apply_async(args=[kind, pk, name])
    except Exception:
        logger.exception("Could not queue the variants of image %r", name)


def schedule_image_deletion(name: str, width: int | None) -> None:
    """Queue :func:`~marketplace_core.catalog.tasks.delete_image`; a broker error
    is logged (the change it follows has committed)."""
    from marketplace_core.catalog.tasks import delete_image

    try:
        delete_image.apply_async(args=[name, width])
    except Exception:
        logger.exception("Could not queue the deletion of image %r", name)


def discard_unsaved(name: str) -> None:
    """Delete an image stored by a change that then rolled back (best effort)."""
    from marketplace_core.media.variants import delete_image_files

    try:
        delete_image_files(name, None)
    except Exception:
        logger.exception("Could not delete orphaned image %r", name)


def apply_cover(product: Product, cover: ValidatedImage | None, *, remove: bool) -> None:
    """Inside the caller's transaction, before ``product.save()``: store ``cover`` as
    the product's cover (or clear it with ``remove``), and arrange after commit for
    the new cover's variants and the old cover's deletion.

    The new file is stored at once; a caller whose transaction fails deletes it with
    :func:`discard_unsaved` (``product.cover_image.name``).
    """
    if cover is None and not remove:
        return
    old_name, old_width = product.cover_image.name, product.cover_width
    if cover is not None:
        product.cover_image.save(cover.content.name or "image", cover.content, save=False)
        product.cover_width, product.cover_height = cover.width, cover.height
    else:
        product.cover_image = None
        product.cover_width = product.cover_height = None
    product.cover_variants = None
    product._cover_applied = True  # type: ignore[attr-defined]  # Product.save writes the cover's variants
    if old_name:
        after_commit(schedule_image_deletion, old_name, old_width)


def after_cover_saved(product: Product, cover: ValidatedImage | None) -> None:
    """Once ``product`` is saved with a new cover: queue its variants after commit."""
    if cover is not None and product.cover_image:
        after_commit(schedule_variants, "cover", product.pk, product.cover_image.name)


def _locked_own(product: Product, seller: User) -> Product:
    locked = Product.objects.select_for_update().filter(pk=product.pk).first()
    if locked is None or locked.seller_id != seller.pk:
        raise Rejected("This is not your product.", code="not_owner")
    return locked


def _count_gallery(locked: Product) -> None:
    """Keep ``Product.gallery_size`` right, under the caller's row lock."""
    size = ProductImage.objects.filter(product=locked).count()
    Product.objects.filter(pk=locked.pk).update(gallery_size=size)
    locked.gallery_size = size


def add_gallery_image(product: Product, *, seller: User, image: ValidatedImage,
                      alt_text: str = "") -> ProductImage:
    """Add ``image`` at the end of ``product``'s gallery.

    Refused with :class:`Rejected` ``not_owner``, or ``gallery_full`` when the
    gallery already holds ``GALLERY_MAX_IMAGES`` (counted under the product's row
    lock, so two uploads at once cannot both pass); nothing is stored then.
    """
    limit = conf.GALLERY_MAX_IMAGES
    stored = ""
    try:
        with transaction.atomic():
            locked = _locked_own(product, seller)
            images = ProductImage.objects.filter(product=locked)
            if images.count() >= limit:
                raise Rejected(
                    f"A gallery holds at most {limit} images. Remove one to add another.",
                    code="gallery_full",
                )
            last = images.aggregate(last=Max("position"))["last"]
            row = ProductImage(product=locked, alt_text=alt_text.strip(),
                               width=image.width, height=image.height,
                               position=0 if last is None else last + 1)
            row.image.save(image.content.name or "image", image.content, save=False)
            stored = row.image.name or ""
            row.save()
            _count_gallery(locked)
            bump_after_commit()  # gallery rows send no product signal: retire cached pages
            after_commit(schedule_variants, "gallery", row.pk, stored)
    except BaseException:
        if stored:
            discard_unsaved(stored)
        raise
    return row


def remove_gallery_image(product: Product, *, seller: User, image_pk: int) -> None:
    """Remove gallery image ``image_pk`` of the seller's ``product``; its files and
    variants are deleted after commit. Another product's image is ``not_found``."""
    with transaction.atomic():
        locked = _locked_own(product, seller)
        row = ProductImage.objects.filter(product=locked, pk=image_pk).first()
        if row is None:
            raise Rejected("No such image.", code="not_found")
        name, width = row.image.name, row.width
        row.delete()
        _count_gallery(locked)
        bump_after_commit()
        after_commit(schedule_image_deletion, name, width)


def move_gallery_image(product: Product, *, seller: User, image_pk: int, offset: int) -> None:
    """Move gallery image ``image_pk`` ``offset`` places (-1: earlier, 1: later);
    positions are renumbered 0, 1, 2, ... Past either end it stays."""
    with transaction.atomic():
        locked = _locked_own(product, seller)
        rows = list(ProductImage.objects.filter(product=locked))
        index = next((i for i, row in enumerate(rows) if row.pk == image_pk), None)
        if index is None:
            raise Rejected("No such image.", code="not_found")
        target = max(0, min(len(rows) - 1, index + offset))
        rows.insert(target, rows.pop(index))
        for position, row in enumerate(rows):
            row.position = position
        ProductImage.objects.bulk_update(rows, ["position"])
        bump_after_commit()


def image_names_of(product: Product) -> list[tuple[str, int | None]]:
    """The stored images of ``product`` (cover and gallery) with their widths:
    what deleting the product deletes after commit."""
    found: list[tuple[str, int | None]] = []
    if product.cover_image:
        found.append((product.cover_image.name or "", product.cover_width))
    found += list(ProductImage.objects.filter(product=product).values_list("image", "width"))
    return found
