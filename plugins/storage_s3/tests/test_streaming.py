"""Large uploads stream to the bucket: never read whole into memory.

Memory is measured twice: Python's own allocations (``tracemalloc``, all
threads) and the process's resident peak (Linux ``VmHWM``, reset first through
``/proc/self/clear_refs``).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import File
from django.core.files.uploadedfile import TemporaryUploadedFile

from marketplace_core.plugins.registry import storage_backend

from .helpers import http_get, logged_in, presigned_link
from .test_downloads import with_storage_options

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


class GeneratedStream(io.RawIOBase):
    """``size`` random bytes made on demand: a file object that cannot seek and
    has no path, so the only way to upload it is to read it. Records every read
    and a hash of what it handed out."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.reads: list[int] = []
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.remaining
        size = min(size, self.remaining)
        self.reads.append(size)
        self.remaining -= size
        data = os.urandom(size)  # one allocation of exactly what was asked for
        self.sha256.update(data)
        return data


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("VmHWM missing from /proc/self/status")


def _current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("VmRSS missing from /proc/self/status")


def measure(action: Callable[[], Any], warm_up: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``action``; return its result, the Python heap peak and the growth
    of the process's resident peak during it, both in MiB.

    ``warm_up`` runs first, unmeasured: botocore loads its service model and
    endpoint rules (several MiB) on first use, and a thread pool's first run
    creates its memory arenas; neither grows with the file.
    """
    warm_up()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    rss_before = _current_rss_mib()
    tracemalloc.start()
    try:
        result = action()
        _, heap_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, heap_peak / MiB, _peak_rss_mib() - rss_before


def stored_sha256(s3, key: str) -> str:
    body = s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    for block in iter(lambda: body.read(MiB), b""):
        digest.update(block)
    return digest.hexdigest()


def test_a_stream_is_read_and_sent_in_parts_with_bounded_memory(s3):
    size, chunk = 64 * MiB, 5 * MiB
    stream = GeneratedStream(size)
    with with_storage_options(s3, UPLOAD_CHUNK_SIZE=chunk, UPLOAD_CONCURRENCY=2):
        storage = storage_backend().get_storage()
        key, heap_peak, rss_growth = measure(
            lambda: storage.save("products/5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e/big.bin",
                                 File(stream, name="big.bin")),
            warm_up=lambda: storage.save("products/5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e/warm.bin",
                                         File(GeneratedStream(chunk + 1), name="warm.bin")),
        )

    # Every byte arrived, as a multipart upload of 5 MiB parts...
    assert stored_sha256(s3, key) == stream.sha256.hexdigest()
    head = s3.client().head_object(Bucket=s3.bucket, Key=key)
    assert head["ContentLength"] == size
    assert head["ETag"].strip('"').endswith(f"-{math.ceil(size / chunk)}")
    # ...read a part at a time, never the whole file...
    assert max(stream.reads) <= chunk
    assert sum(stream.reads) == size
    # ...so memory grew by a few parts (concurrency + 1), far below the file size.
    assert heap_peak < size / MiB / 2, f"Python heap peak {heap_peak:.1f} MiB"
    assert rss_growth < size / MiB / 2, f"resident peak grew {rss_growth:.1f} MiB"


def test_an_upload_django_spooled_to_disk_is_sent_from_the_file(s3, tmp_path):
    """What a seller's large upload is by the time a form sees it."""
    size = 64 * MiB
    upload = TemporaryUploadedFile("album.zip", "application/zip", size, None)
    digest = hashlib.sha256()
    for i in range(size // MiB):
        block = hashlib.sha512(i.to_bytes(4, "big")).digest() * (MiB // 64)
        digest.update(block)
        upload.write(block)
    upload.flush()
    upload.seek(0)
    storage = storage_backend().get_storage()

    warm = TemporaryUploadedFile("warm.zip", "application/zip", MiB, None)
    warm.write(os.urandom(MiB))
    warm.seek(0)

    key, heap_peak, rss_growth = measure(
        lambda: storage.save("products/0ddba11000000000000000000000f11e/album.zip", upload),
        warm_up=lambda: storage.save("products/0ddba11000000000000000000000f11e/warm.zip", warm),
    )
    upload.close()
    warm.close()

    assert stored_sha256(s3, key) == digest.hexdigest()
    assert s3.client().head_object(Bucket=s3.bucket, Key=key)["ETag"].strip('"').endswith("-8")
    assert heap_peak < size / MiB / 4, f"Python heap peak {heap_peak:.1f} MiB"
    assert rss_growth < size / MiB / 4, f"resident peak grew {rss_growth:.1f} MiB"


@pytest.mark.smoke
def test_a_large_product_file_downloads_intact_through_the_presigned_link(s3, tmp_path):
    """Upload from a file on disk through the model, then download as the owner."""
    from marketplace_core.testing.factories import make_product, make_user

    from .helpers import buy

    path = tmp_path / "course.mp4"
    with path.open("wb") as out:
        for i in range(20):
            out.write(hashlib.sha512(i.to_bytes(4, "big")).digest() * (MiB // 64))
    product = make_product(content=None)
    with path.open("rb") as handle:
        product.set_file(File(handle, name="course.mp4"), original_name="course.mp4")
        product.save()
    assert product.file_size == path.stat().st_size
    buyer = make_user()
    buy(buyer, product)

    link = presigned_link(logged_in(buyer), product, s3.endpoint_url)
    fetched = http_get(link)

    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == hashlib.sha256(
        path.read_bytes()).hexdigest()
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="course.mp4"'
    assert os.path.getsize(path) == int(fetched.headers["Content-Length"])
