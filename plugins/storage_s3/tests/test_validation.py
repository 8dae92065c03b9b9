"""Upload rules (size cap, allowed extensions, sanitized names) and a seller's
upload through a form into the bucket."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from marketplace_storage_s3.validation import (
    NAME_BUDGET,
    UploadRules,
    sanitize_file_name,
    validate_upload,
)

from marketplace_core.catalog.models import Product
from marketplace_core.plugins.registry import storage_backend
from marketplace_core.storage.backends import StorageBackend
from marketplace_core.testing.factories import make_product, make_seller

from .helpers import http_get, logged_in
from .test_downloads import with_storage_options


@pytest.mark.parametrize(("sent", "kept"), [
    ("guide.pdf", "guide.pdf"),
    ("My Guide (final).pdf", "My_Guide_final.pdf"),
    ("C:\\Users\\me\\Desktop\\report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..", "file"),
    ("", "file"),
    (".htaccess", "htaccess"),
    ("semi;colon\"quote'.zip", "semicolonquote.zip"),
    ("new\r\nline.txt", "newline.txt"),
    ("Übersicht.pdf", "Übersicht.pdf"),
    ("U\u0308bersicht.pdf", "Übersicht.pdf"),  # decomposed umlaut → composed
    ("x" * 300 + ".tar.gz", "x" * 248 + ".tar.gz"),
    ("é" * 130 + ".pdf", "é" * 125 + ".pdf"),  # 264 bytes cut to 254
    ("😀.zip", "file.zip"),
])
def test_sanitize_file_name(sent, kept):
    assert sanitize_file_name(sent) == kept


@pytest.mark.parametrize("sent", [
    "My Guide.pdf", "C:\\Users\\me\\notes.txt", "../../etc/passwd", "..hidden", "<script>.js",
    "...", "Übersicht.pdf",
])
def test_names_core_already_cleans_come_out_as_core_cleans_them(sent):
    """The backend builds on core's ``StorageBackend.validate_upload``."""
    assert sanitize_file_name(sent) == StorageBackend().validate_upload(named(b"x", sent))


def test_sanitized_names_fit_a_key_segment_of_255_bytes():
    """SeaweedFS and MinIO refuse a part of a key over 255 bytes (KeyTooLongError)."""
    assert NAME_BUDGET == 255
    assert len(sanitize_file_name("y" * 1000).encode()) == 255
    assert len(sanitize_file_name("ж" * 1000 + ".pdf").encode()) == 254


def named(content: bytes, name: str) -> ContentFile:
    return ContentFile(content, name=name)


def test_validate_upload_returns_the_sanitized_name():
    rules = UploadRules(max_size=100, allowed_extensions=frozenset({"pdf", "tar.gz"}))
    assert validate_upload(named(b"x" * 100, "My Book.PDF"), rules) == "My_Book.PDF"
    assert validate_upload(named(b"x", "backup.tar.gz"), rules) == "backup.tar.gz"


@pytest.mark.parametrize(("upload", "rules", "code"), [
    (named(b"x" * 101, "a.pdf"), UploadRules(max_size=100), "file_too_large"),
    (named(b"", "a.pdf"), UploadRules(), "file_empty"),
    (named(b"x", "a.exe"), UploadRules(allowed_extensions=frozenset({"pdf"})), "file_extension"),
    (named(b"x", "pdf"), UploadRules(allowed_extensions=frozenset({"pdf"})), "file_extension"),
    (named(b"x", "a.pdf.exe"), UploadRules(allowed_extensions=frozenset({"pdf"})),
     "file_extension"),
])
def test_validate_upload_refuses(upload, rules, code):
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload, rules)
    assert refused.value.code == code


def test_too_large_message_names_both_sizes():
    with pytest.raises(ValidationError) as refused:
        validate_upload(named(b"x" * 2048, "a.pdf"), UploadRules(max_size=1024))
    assert refused.value.messages == ["The file is 2.0\xa0KB; files may be at most 1.0\xa0KB."]


def test_backend_applies_the_settings(s3):
    backend = storage_backend()
    with with_storage_options(s3, MAX_UPLOAD_SIZE=10, ALLOWED_EXTENSIONS=[".PDF"]):
        assert backend.validate_upload(named(b"0123456789", "ok.pdf")) == "ok.pdf"
        with pytest.raises(ValidationError) as too_large:
            backend.validate_upload(named(b"0123456789A", "big.pdf"))
        with pytest.raises(ValidationError) as wrong_type:
            backend.validate_upload(named(b"x", "tool.exe"))
    assert too_large.value.code == "file_too_large"
    assert wrong_type.value.code == "file_extension"
    assert wrong_type.value.messages == ["Files of this type are not accepted. Allowed: .pdf."]


def test_default_cap_is_two_gib(s3):
    assert UploadRules.from_settings() == UploadRules(max_size=2 * 1024**3,
                                                      allowed_extensions=None)


def _product_form(**fields: object) -> dict[str, object]:
    """What a seller submits on core's product page (``marketplace:seller_product_*``)."""
    return {"title": "Season One", "slug": "", "description": "All episodes.",
            "price": "9.99", "currency": "USD", "action": "publish", **fields}


@pytest.mark.smoke
@pytest.mark.django_db
def test_seller_upload_through_the_product_form_lands_privately_in_the_bucket(s3):
    """6 MiB: above Django's in-memory limit, so the form gets a temporary file."""
    seller = make_seller()
    content = bytes(range(256)) * (6 * 1024 * 4)
    upload = SimpleUploadedFile("Season 1 (HD).zip", content, "application/zip")

    response = logged_in(seller).post(reverse("marketplace:seller_product_create"),
                                      _product_form(file=upload))

    assert response.status_code == 302, response.content
    product = Product.objects.get(seller=seller)
    assert product.status == Product.Status.PUBLISHED
    assert product.file_name == "Season 1 (HD).zip"  # what the buyer's browser saves
    assert product.file.name.endswith("/Season_1_HD.zip")  # the sanitized storage key
    assert product.file_size == len(content)
    assert product.file_updated_at is not None
    stored = s3.client().get_object(Bucket=s3.bucket, Key=product.file.name)
    assert stored["Body"].read() == content
    assert stored["ContentType"] == "application/zip"
    assert http_get(s3.object_url(product.file.name)).status_code == 403


@pytest.mark.django_db
def test_product_form_shows_the_upload_rules_and_stores_nothing(s3):
    seller = make_seller()
    product = make_product(seller=seller, content=b"current file\n", file_name="current.pdf")
    before = (product.file.name, product.file_updated_at)
    client = logged_in(seller)
    edit = reverse("marketplace:seller_product_update", args=[product.pk])

    with with_storage_options(s3, MAX_UPLOAD_SIZE=1024, ALLOWED_EXTENSIONS=["pdf"]):
        wrong_type = client.post(edit, _product_form(
            slug=product.slug, file=SimpleUploadedFile("setup.exe", b"MZ...")))
        too_large = client.post(edit, _product_form(
            slug=product.slug, file=SimpleUploadedFile("big.pdf", b"x" * 1025)))

    assert wrong_type.status_code == too_large.status_code == 200  # the form, with errors
    shown = html.unescape(wrong_type.content.decode()), html.unescape(too_large.content.decode())
    assert "Files of this type are not accepted. Allowed: .pdf." in shown[0]
    assert "files may be at most" in shown[1]
    assert wrong_type.context["form"].errors.as_data()["file"][0].code == "file_extension"
    assert too_large.context["form"].errors.as_data()["file"][0].code == "file_too_large"
    product = Product.objects.get(pk=product.pk)
    assert (product.file.name, product.file_updated_at) == before
