"""Smaller copies of a stored image, for ``srcset``: WebP at a few widths, plus one
JPEG (or PNG, when the picture has transparency) for browsers without WebP.

A variant's name follows from its source's name and width
(``covers/<hex>.w640.webp``), so making them again finds them in place (a task that
runs twice or dies half-way) and deleting an image finds them all, recorded or not.

The record kept on the image's row (``variants``)::

    {"webp": [[320, "covers/<hex>.w320.webp"], [640, "..."]],
     "fallback": [640, "covers/<hex>.w640.jpg"]}
"""

from __future__ import annotations

import io
import logging
from pathlib import PurePosixPath
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image

from marketplace_core.conf import conf
from marketplace_core.media.storage import media_storage
from marketplace_core.media.validation import has_alpha

logger = logging.getLogger("marketplace_core.media")

Variants = dict[str, Any]


def variant_name(source: str, width: int, extension: str) -> str:
    """``covers/<hex>.jpg`` at 640 as WebP: ``covers/<hex>.w640.webp``."""
    path = PurePosixPath(source)
    return str(path.with_name(f"{path.stem}.w{width}.{extension}"))


def variant_widths(width: int) -> list[int]:
    """The WebP widths made of an image ``width`` pixels wide: the configured ones
    below it, and the image's own width when it is under the largest (never upscaled)."""
    configured = conf.IMAGE_VARIANT_WIDTHS
    widths = [size for size in configured if size < width]
    if width <= max(configured, default=0):
        widths.append(width)
    return widths


def fallback_width(width: int) -> int:
    return min(conf.IMAGE_FALLBACK_WIDTH, width)


def possible_variant_names(source: str, width: int | None) -> list[str]:
    """Every variant name an image may have (made, half-made or recorded): what
    deleting it removes. ``width`` is the source's, when known."""
    widths = set(conf.IMAGE_VARIANT_WIDTHS) | {conf.IMAGE_FALLBACK_WIDTH}
    if width:
        widths |= {width, fallback_width(width)}
    names = [variant_name(source, size, "webp") for size in sorted(widths)]
    names += [variant_name(source, fallback_width(width or conf.IMAGE_FALLBACK_WIDTH), ext)
              for ext in ("jpg", "png")]
    return names


def _resized(picture: Image.Image, width: int) -> Image.Image:
    if width >= picture.width:
        return picture
    height = max(1, round(picture.height * width / picture.width))
    # reducing_gap: a fast box reduction to about twice the size first, then Lanczos
    # (several times quicker on large originals, no visible difference at these sizes).
    return picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)


def _store(name: str, picture: Image.Image, image_format: str) -> str:
    """Save ``picture`` under exactly ``name`` unless it is there already."""
    storage = media_storage()
    if storage.exists(name):
        return name
    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": 82} if image_format in ("WEBP", "JPEG") else {}
    if image_format == "JPEG":
        options["optimize"] = True
    picture.save(buffer, format=image_format, **options)
    stored = storage.save(name, ContentFile(buffer.getvalue()))
    if stored != name:  # another run wrote ``name`` meanwhile: keep that one
        storage.delete(stored)
    return name


def make_variants(source: str) -> Variants:
    """Make (or find) every variant of stored image ``source``; return the record.

    Raises ``FileNotFoundError`` (or the storage's own error) when ``source`` is gone.
    """
    with media_storage().open(source, "rb") as stored:
        picture: Image.Image = Image.open(stored)
        picture.load()
    if has_alpha(picture):
        picture = picture.convert("RGBA")
        fallback_format, fallback_ext = "PNG", "png"
    else:
        picture = picture.convert("RGB")
        fallback_format, fallback_ext = "JPEG", "jpg"
    webp = []
    for width in variant_widths(picture.width):
        name = _store(variant_name(source, width, "webp"), _resized(picture, width), "WEBP")
        webp.append([width, name])
    width = fallback_width(picture.width)
    fallback = _store(variant_name(source, width, fallback_ext), _resized(picture, width),
                      fallback_format)
    return {"webp": webp, "fallback": [width, fallback]}


def recorded_names(variants: Variants) -> list[str]:
    """The file names in a variants record."""
    return [name for _, name in variants.get("webp", [])] + (
        [variants["fallback"][1]] if variants.get("fallback") else [])


def delete_image_files(source: str, width: int | None) -> None:
    """Delete stored image ``source`` and all its possible variants; names already
    gone are skipped (safe to run twice)."""
    storage = media_storage()
    for name in [source, *possible_variant_names(source, width)]:
        if storage.exists(name):
            storage.delete(name)
