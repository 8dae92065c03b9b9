"""Pictures for the product image tests, made with Pillow in memory, and the media
storage's listing."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_core.media.storage import media_storage


def picture_bytes(size: tuple[int, int] = (800, 600), image_format: str = "PNG",
                  color: tuple[int, ...] = (200, 60, 40), mode: str = "RGB",
                  **options: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def picture(name: str = "cover.png", **kwargs: Any) -> SimpleUploadedFile:
    """An upload of a real picture (PNG unless ``image_format`` says otherwise)."""
    return SimpleUploadedFile(name, picture_bytes(**kwargs), content_type="image/png")


def jpeg_with_gps_and_orientation(size: tuple[int, int] = (400, 200)) -> bytes:
    """A JPEG carrying GPS coordinates, a camera model and orientation 6 (shown
    turned 90°: upright it is ``size`` swapped)."""
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera 3000"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG (a few hundred bytes) whose header declares ``width`` by ``height``
    pixels: a decompression bomb's shape."""
    real = picture_bytes(size=(1, 1))
    ihdr_at = real.index(b"IHDR")
    header = struct.pack(">II", width, height) + real[ihdr_at + 12: ihdr_at + 17]
    chunk = b"IHDR" + header
    patched = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return real[: ihdr_at - 4] + patched + real[ihdr_at + 4 + len(header) + 4:]


def stored_media() -> set[str]:
    """Every file on the media storage (covers and gallery, variants included)."""
    storage = media_storage()
    found: set[str] = set()
    for folder in ("covers", "gallery"):
        if storage.exists(folder):
            found |= {f"{folder}/{name}" for name in storage.listdir(folder)[1]}
    return found


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Iterator[Any]:
    """The media storage (alias ``marketplace_media``) in a folder of this test."""
    root = tmp_path / "public-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "marketplace_media": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": "/media/"},
        },
    }
    yield root
