"""Product images on S3 (``S3MediaStorage`` as core's media storage): the originals and
their variants in the public bucket, readable by a plain GET; product files stay in the
private bucket, refused without a signature."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_core.catalog import images
from marketplace_core.media.storage import media_storage
from marketplace_core.media.validation import validate_image
from marketplace_core.testing.factories import make_product

from .helpers import http_get, product_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_on_s3(s3, settings):
    settings.STORAGES = {**settings.STORAGES, "marketplace_media": s3.media_storage()}
    return s3


def png(size: tuple[int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 140, 90)).save(buffer, format="PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue())


def test_variants_are_public_and_product_files_stay_private(
        media_on_s3, django_capture_on_commit_callbacks):
    s3 = media_on_s3
    product = product_with(b"private deliverable\n")
    with django_capture_on_commit_callbacks(execute=True):
        images.apply_cover(product, validate_image(png((900, 600))), remove=False)
        product.save()
        images.after_cover_saved(product, validate_image(png((900, 600))))
    product.refresh_from_db()
    names = [product.cover_image.name,
             *(name for _, name in product.cover_variants["webp"]),
             product.cover_variants["fallback"][1]]
    assert len(names) == 5
    for name in names:
        url = media_storage().url(name)
        assert url == f"{s3.endpoint_url}/{s3.media_bucket}/{name}"
        assert "X-Amz" not in url
        response = http_get(url)  # a browser's plain GET
        assert response.status_code == 200, name
        assert Image.open(io.BytesIO(response.content)).width in (320, 640, 900)
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    head = s3.client().head_object(Bucket=s3.media_bucket, Key=product.cover_variants["webp"][0][1])
    assert head["ContentType"] == "image/webp"
    # The product's file: in the private bucket, refused without a signature.
    assert http_get(s3.object_url(product.file.name)).status_code == 403
    # The public bucket cannot be listed.
    assert http_get(f"{s3.endpoint_url}/{s3.media_bucket}/").status_code == 403


def test_removing_an_image_deletes_it_and_its_variants_from_the_bucket(
        media_on_s3, django_capture_on_commit_callbacks):
    s3 = media_on_s3
    product = make_product()
    with django_capture_on_commit_callbacks(execute=True):
        row = images.add_gallery_image(product, seller=product.seller,
                                       image=validate_image(png((700, 500))))
    row.refresh_from_db()
    prefix = row.image.name.rsplit(".", 1)[0]
    listed = s3.client().list_objects_v2(Bucket=s3.media_bucket, Prefix=prefix)
    assert len(listed["Contents"]) == 5  # the original, WebP 320, 640 and 700, the JPEG
    with django_capture_on_commit_callbacks(execute=True):
        images.remove_gallery_image(product, seller=product.seller, image_pk=row.pk)
    listed = s3.client().list_objects_v2(Bucket=s3.media_bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0


def test_a_base_url_makes_addresses_on_a_cdn(media_on_s3, settings):
    settings.STORAGES = {**settings.STORAGES, "marketplace_media":
                         media_on_s3.media_storage(base_url="https://media.example.com/shop")}
    assert (media_storage().url("covers/ab c.w320.webp")
            == "https://media.example.com/shop/covers/ab%20c.w320.webp")
