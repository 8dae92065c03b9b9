"""The Django storage: private objects under core's unguessable keys."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from marketplace_storage_s3.storage import S3ProductStorage

from marketplace_core.plugins.registry import storage_backend

from .helpers import http_get, product_with

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"^products/[0-9a-f]{32}/[^/]+$")


def test_uploaded_product_file_is_in_the_bucket_under_an_unguessable_key(s3):
    product = product_with(b"the deliverable\n", file_name="My Guide (final).pdf")

    assert KEY_RE.match(product.file.name), product.file.name
    assert product.file.name.endswith("/My_Guide_final.pdf")
    stored = s3.client().get_object(Bucket=s3.bucket, Key=product.file.name)
    assert stored["Body"].read() == b"the deliverable\n"
    assert stored["ContentType"] == "application/pdf"


def test_unsigned_get_of_an_object_is_refused(s3):
    product = product_with(b"private bytes\n")

    response = http_get(s3.object_url(product.file.name))

    assert response.status_code == 403
    assert b"private bytes" not in response.content


def test_storage_url_is_the_plain_address_which_the_store_refuses(s3):
    """``FieldFile.url`` (what a template would render) never grants access."""
    product = product_with(b"never via url()\n")

    url = product.file.url

    assert url == s3.object_url(product.file.name)
    assert "Signature" not in url
    assert http_get(url).status_code == 403


def test_two_uploads_of_the_same_name_get_different_keys(s3):
    first = product_with(b"one\n", file_name="same.zip")
    second = product_with(b"two\n", file_name="same.zip")

    assert first.file.name != second.file.name
    assert first.file.name.rsplit("/", 1)[1] == second.file.name.rsplit("/", 1)[1] == "same.zip"


def test_open_size_exists_modified_time_and_delete(s3):
    storage = storage_backend().get_storage()
    assert isinstance(storage, S3ProductStorage)
    before = timezone.now() - dt.timedelta(seconds=5)
    name = storage.save("products/0123456789abcdef0123456789abcdef/notes.txt",
                        ContentFile(b"line 1\nline 2\n"))

    assert storage.exists(name)
    assert storage.size(name) == 14
    assert before <= storage.get_modified_time(name) <= timezone.now() + dt.timedelta(seconds=5)
    with storage.open(name) as handle:
        assert handle.read() == b"line 1\nline 2\n"
    assert storage.listdir("products/0123456789abcdef0123456789abcdef") == ([], ["notes.txt"])

    storage.delete(name)

    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(FileNotFoundError):
        storage.size(name)


def test_files_open_read_only(s3):
    storage = storage_backend().get_storage()
    name = storage.save("products/fedcba9876543210fedcba9876543210/a.txt", ContentFile(b"a"))

    with pytest.raises(ValueError, match="read-only"):
        storage.open(name, "wb")


def test_names_that_leave_the_products_folder_are_refused(s3):
    from django.core.exceptions import SuspiciousFileOperation

    storage = storage_backend().get_storage()
    for name in ("../escape.txt", "products/../../escape.txt", "/etc/passwd"):
        with pytest.raises(SuspiciousFileOperation):
            storage.save(name, ContentFile(b"x"))
