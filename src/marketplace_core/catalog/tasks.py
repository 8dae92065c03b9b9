"""Background work of the catalog: removing product files that were replaced, making
product images' size variants and removing images' files."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplace_core.catalog.models import Product, ProductFileVersion, ProductImage
from marketplace_core.catalog.versions import bump_after_commit
from marketplace_core.media.storage import media_storage
from marketplace_core.media.variants import delete_image_files, make_variants, recorded_names
from marketplace_core.people.models import SellerProfile
from marketplace_core.storage.backends import product_storage

logger = logging.getLogger("marketplace_core.catalog")

DELETE_FILE_TASK = "marketplace_core.catalog.delete_product_file"
MAKE_VARIANTS_TASK = "marketplace_core.catalog.make_image_variants"
DELETE_IMAGE_TASK = "marketplace_core.catalog.delete_image_files"

#: The rows an image sits on: ``kind`` → (model, image field, variants field).
IMAGE_ROWS: dict[str, tuple[type[Product] | type[ProductImage], str, str]] = {
    "cover": (Product, "cover_image", "cover_variants"),
    "gallery": (ProductImage, "image", "variants"),
}


@shared_task(name=DELETE_FILE_TASK, acks_late=True)
def delete_product_file(name: str) -> bool:
    """Delete stored product file ``name`` unless a product or a file version still uses it.

    Idempotent: a file already gone is not an error (workers die and brokers
    redeliver). Returns whether a delete was sent to the storage.
    """
    if (not name or Product.objects.filter(file=name).exists()
            or ProductFileVersion.objects.filter(file=name).exists()):
        return False
    product_storage().delete(name)
    logger.info("Deleted replaced product file %s", name)
    return True


@shared_task(name=MAKE_VARIANTS_TASK, acks_late=True)
def make_image_variants(kind: str, pk: int, name: str) -> bool:
    """Make the size variants of image ``name`` (a product's cover, ``kind="cover"``,
    or gallery image ``pk``, ``kind="gallery"``) and record them on its row.

    Idempotent: variants already stored are kept, a recorded row is left alone, and
    a row whose image changed meanwhile (replaced, deleted) gets nothing: the
    variants made for the old image are deleted again. Returns whether it recorded.
    """
    model, field, variants_field = IMAGE_ROWS[kind]
    row = model.objects.filter(pk=pk, **{field: name}).values(variants_field).first()
    if row is None or row[variants_field]:
        return False
    try:
        variants = make_variants(name)
    except FileNotFoundError:
        logger.info("Image %s is gone; no variants made", name)
        return False
    recorded = model.objects.filter(pk=pk, **{field: name}).update(**{variants_field: variants})
    if not recorded:  # replaced or deleted while the variants were made
        storage = media_storage()
        for made in recorded_names(variants):
            storage.delete(made)
        delete_image_files(name, None)  # and the original, if its deletion ran before
        return False
    bump_after_commit()  # cached pages switch from the original to the variants
    return True


@shared_task(name=DELETE_IMAGE_TASK, acks_late=True)
def delete_image(name: str, width: int | None = None) -> bool:
    """Delete image ``name`` and its variants from the media storage, unless a row
    (a product's cover or gallery, a seller's avatar) still uses it. Idempotent
    (names already gone are skipped)."""
    if (not name or Product.objects.filter(cover_image=name).exists()
            or ProductImage.objects.filter(image=name).exists()
            or SellerProfile.objects.filter(avatar=name).exists()):
        return False
    delete_image_files(name, width)
    logger.info("Deleted product image %s and its variants", name)
    return True
