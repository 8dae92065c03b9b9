"""Product image variants made by a real Celery worker (Redis broker, PostgreSQL), on the
example site's media storage (local files under MEDIA_ROOT, shared with this process);
the task queued twice is harmless, and removing the image removes every file."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_core.catalog import images
from marketplace_core.catalog.models import ProductImage
from marketplace_core.catalog.tasks import MAKE_VARIANTS_TASK, make_image_variants
from marketplace_core.media.storage import media_storage
from marketplace_core.media.validation import validate_image
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import make_product

pytestmark = pytest.mark.django_db(transaction=True)


def _png(size: tuple[int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 40, 160)).save(buffer, format="PNG")
    return SimpleUploadedFile("shelf.png", buffer.getvalue())


def test_the_worker_makes_variants_once_and_deletion_removes_them(celery_worker) -> None:
    product = make_product(title="Shelf")
    row = images.add_gallery_image(product, seller=product.seller, alt_text="The shelf",
                                   image=validate_image(_png((1500, 1000))))
    wait_until(lambda: ProductImage.objects.get(pk=row.pk).variants is not None, timeout=120,
               what="the worker to record the variants")
    variants = ProductImage.objects.get(pk=row.pk).variants
    assert [width for width, _ in variants["webp"]] == [320, 640, 1280]
    names = [row.image.name, *(name for _, name in variants["webp"]), variants["fallback"][1]]
    storage = media_storage()
    assert all(storage.exists(name) for name in names)
    with storage.open(variants["webp"][1][1]) as stored:
        assert Image.open(stored).size == (640, 427)

    again = make_image_variants.delay("gallery", row.pk, row.image.name)  # a redelivered task
    # This run's own line (the worker is shared: other tests' images make theirs).
    done = rf"{re.escape(MAKE_VARIANTS_TASK)}\[{re.escape(again.id)}\] succeeded in [0-9.]+s: (\w+)"
    wait_until(lambda: re.search(done, celery_worker.output()) is not None,
               timeout=120, what="the second run to finish")
    assert re.search(done, celery_worker.output()).group(1) == "False"  # recorded nothing
    assert ProductImage.objects.get(pk=row.pk).variants == variants

    images.remove_gallery_image(product, seller=product.seller, image_pk=row.pk)
    wait_until(lambda: not any(storage.exists(name) for name in names), timeout=120,
               what="the worker to delete the image and its variants")
