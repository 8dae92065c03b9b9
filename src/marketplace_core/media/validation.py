"""Checking an uploaded image and re-encoding it without its metadata.

:func:`validate_image` is the only way an image reaches the media storage: it
refuses anything that is not a JPEG, PNG, WebP or GIF whose extension says so,
within the byte and pixel limits of the ``MARKETPLACE`` setting, and returns the
picture re-encoded (EXIF, GPS, comments and text chunks dropped; the EXIF
orientation applied to the pixels first, so the picture still stands upright).
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace_core.conf import conf

#: Pillow's format names accepted, with the file extensions each may carry.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "JPEG": ("jpg", "jpeg"),
    "PNG": ("png",),
    "WEBP": ("webp",),
    "GIF": ("gif",),
    # A JPEG holding more than one picture (a phone's Ultra HDR or gain-map photo, a
    # camera's preview): Pillow names it MPO; its first picture is the photo.
    "MPO": ("jpg", "jpeg"),
}
#: How each accepted format is stored: a GIF keeps its first frame, as a PNG; an MPO
#: its first picture, as a JPEG.
STORED_AS: dict[str, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG",
                             "MPO": "JPEG"}
#: The stored file's extension per stored format.
STORED_EXTENSION: dict[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ALLOWED_EXTENSIONS = frozenset(ext for exts in EXTENSIONS.values() for ext in exts)
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"

#: Pillow's errors for bytes that are not a (whole) image.
_NOT_AN_IMAGE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                 IndexError, TypeError, struct.error)


@dataclass(frozen=True)
class ValidatedImage:
    """An upload that passed :func:`validate_image`: what to store and its size."""

    #: The re-encoded picture, named ``image.<extension of its stored format>``.
    content: ContentFile[bytes]
    width: int
    height: int
    #: The stored format (``"JPEG"``, ``"PNG"`` or ``"WEBP"``).
    format: str

    @property
    def extension(self) -> str:
        return STORED_EXTENSION[self.format]


def _refuse(message: Any, code: str, **params: Any) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def validate_image(uploaded: Any) -> ValidatedImage:
    """Check ``uploaded`` (a Django ``UploadedFile``) and return it re-encoded.

    Raises ``ValidationError`` with a message for the seller and one of the codes
    ``image_empty``, ``image_too_large`` (over ``IMAGE_MAX_BYTES``),
    ``image_extension`` (not .jpg/.jpeg/.png/.webp/.gif), ``image_invalid`` (not a
    readable image, or a format other than those four), ``image_too_many_pixels``
    (over ``IMAGE_MAX_PIXELS``, decompression bombs included: checked from the
    header, before any pixel is decoded) or ``image_extension_mismatch`` (PNG
    bytes named ``.jpg``). Nothing is stored here.
    """
    size = getattr(uploaded, "size", None) or 0
    if size <= 0:
        raise _refuse(_("The image is empty."), "image_empty")
    limit = conf.IMAGE_MAX_BYTES
    if size > limit:
        raise _refuse(_("The image is %(size)s; images may be at most %(limit)s."),
                      "image_too_large", size=filesizeformat(size), limit=filesizeformat(limit))
    extension = PurePath(getattr(uploaded, "name", "") or "").suffix.lower().lstrip(".")
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(_("Upload a JPEG, PNG, WebP or GIF image (.jpg, .png, .webp or .gif)."),
                      "image_extension")
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    uploaded.seek(0)
    picture, source_format = _decode(data)
    if extension not in EXTENSIONS[source_format]:
        raise _refuse(
            _("This file is a %(format)s image but its name ends in .%(extension)s; "
              "rename it to .%(expected)s."),
            "image_extension_mismatch", format=source_format, extension=extension,
            expected=EXTENSIONS[source_format][0],
        )
    return _reencode(picture, STORED_AS[source_format])


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """The first frame of ``data``, decoded, and its format; the pixel count is
    checked from the header before anything is decoded."""
    max_pixels = conf.IMAGE_MAX_PIXELS
    invalid = _refuse(_("This file is not a JPEG, PNG, WebP or GIF image, or it is damaged."),
                      "image_invalid")
    too_big = _refuse(_("The image has too many pixels; at most %(limit)s million are allowed."),
                      "image_too_many_pixels", limit=f"{max_pixels / 1e6:g}")
    with warnings.catch_warnings():
        # Pillow warns (then raises) past its own MAX_IMAGE_PIXELS: a refusal either way.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                source_format = probe.format or ""
                width, height = probe.size
                if source_format not in EXTENSIONS:
                    raise invalid
                if width * height > max_pixels or width <= 0 or height <= 0:
                    raise too_big
                probe.verify()
            picture = Image.open(io.BytesIO(data))
            picture.load()  # the first frame only (an animated GIF keeps its first)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except _NOT_AN_IMAGE:
            raise invalid from None
    return picture, source_format


def _reencode(picture: Image.Image, stored_format: str) -> ValidatedImage:
    """``picture`` upright and saved anew in ``stored_format``, without metadata
    (nothing but the ICC colour profile is passed to the encoder)."""
    icc_profile = picture.info.get("icc_profile")
    upright = ImageOps.exif_transpose(picture) or picture
    # Encoders carry some of ``info`` over by themselves (a JPEG's comment does).
    upright.info = {}
    upright = _in_mode_for(upright, stored_format)
    options: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    if stored_format == "JPEG":
        options.update(quality=88, optimize=True)
    elif stored_format == "WEBP":
        options.update(quality=88, method=4)
    else:
        options.update(optimize=True)
    buffer = io.BytesIO()
    upright.save(buffer, format=stored_format, **options)
    name = f"image.{STORED_EXTENSION[stored_format]}"
    return ValidatedImage(content=ContentFile(buffer.getvalue(), name=name),
                          width=upright.width, height=upright.height, format=stored_format)


def has_alpha(picture: Image.Image) -> bool:
    """Whether ``picture`` may have transparent pixels."""
    return picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info


def _in_mode_for(picture: Image.Image, stored_format: str) -> Image.Image:
    """``picture`` in a mode ``stored_format`` can hold (JPEG: no alpha)."""
    if stored_format == "JPEG":
        return picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
    if picture.mode in ("RGB", "RGBA", "L", "LA"):
        return picture
    return picture.convert("RGBA" if has_alpha(picture) else "RGB")
