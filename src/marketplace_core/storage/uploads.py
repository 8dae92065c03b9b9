"""Core's rules for a seller's upload: a non-empty file, and a storage name that fits.

A product file is stored under ``products/<32 hex digits>/<name>``
(:func:`new_product_key`). Stores limit keys in UTF-8 bytes, not characters:
S3 allows 1,024 bytes per key, and SeaweedFS, MinIO and local file systems
255 bytes per part between slashes. :func:`name_budget` turns a backend's
limits into the bytes its file names may take, and :func:`clean_file_name`
makes a name that fits them from whatever a browser sent.

This module imports nothing of the rest of Marketplace, so backends in
plugins use it without the storage registry.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "products/"
#: What a product key adds to its file name: ``products/``, a uuid4 in hex, ``/``.
KEY_OVERHEAD_BYTES = len(KEY_PREFIX) + 32 + 1
#: The stem of a name whose own stem cleans to nothing (``😀.zip`` → ``file.zip``).
FALLBACK_STEM = "file"
#: An extension longer than this is kept as part of the stem when shortening.
MAX_EXTENSION_LENGTH = 16

_NOT_NAME = re.compile(r"(?u)[^-\w.]")
_NOT_EXTENSION = re.compile(r"(?u)[^-\w]")


def name_budget(*, max_key_bytes: int, max_segment_bytes: int) -> int:
    """How many UTF-8 bytes a file name may take in a store whose keys hold at
    most ``max_key_bytes`` bytes and ``max_segment_bytes`` bytes between slashes."""
    return min(max_segment_bytes, max_key_bytes - KEY_OVERHEAD_BYTES)


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest start of ``text`` that takes at most ``max_bytes`` bytes in
    UTF-8 (never half a character)."""
    return text.encode("utf-8")[: max(0, max_bytes)].decode("utf-8", errors="ignore")


def clean_file_name(sent: str, max_bytes: int) -> str:
    """The name to store an upload the browser called ``sent`` under.

    Contract: the result is never empty, holds only letters, digits, ``-``,
    ``_`` and ``.`` (spaces become ``_``), has no directory part and no leading
    dot, is NFC-normalized and takes at most ``max_bytes`` bytes in UTF-8. The
    extension (up to :data:`MAX_EXTENSION_LENGTH` characters; ``.tar.gz`` and
    other ``.tar.*`` count as one) survives: a stem
    that cleans to nothing becomes :data:`FALLBACK_STEM` (``😀.zip`` →
    ``file.zip``) and a stem too long is cut, not the extension
    (``"é" * 130 + ".pdf"`` → 125 ``é`` + ``.pdf`` for 254 bytes). Cleaning a
    clean name returns it unchanged.
    """
    name = "".join(ch for ch in unicodedata.normalize("NFC", sent)
                   if unicodedata.category(ch)[0] != "C")
    # Old browsers send "C:\Users\me\guide.pdf": drop both kinds of directory part.
    name = re.split(r"[/\\]", name)[-1].strip().replace(" ", "_").lstrip(".")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = _NOT_EXTENSION.sub("", extension)
    if len(extension) > MAX_EXTENSION_LENGTH:
        stem, extension = f"{stem}.{extension}", ""
    elif extension and stem.lower().endswith(".tar"):  # "backup.tar.gz" keeps ".tar.gz"
        stem, extension = stem[:-4], f"{stem[-3:]}.{extension}"
    stem = _NOT_NAME.sub("", stem).strip(".")
    if not stem.strip("_-"):
        stem = FALLBACK_STEM
    suffix = f".{extension}" if extension else ""
    if utf8_length(suffix) + utf8_length(FALLBACK_STEM) > max_bytes:
        suffix = ""  # an absurdly small budget: the stem matters more
    stem = truncate_utf8(stem, max_bytes - utf8_length(suffix)).rstrip(".") or FALLBACK_STEM
    return truncate_utf8(stem + suffix, max_bytes)


def check_upload(uploaded: Any, *, max_name_bytes: int) -> str:
    """Core's check of a seller's upload; returns the name to store it under.

    Refuses an empty file (``ValidationError``, code ``file_empty``) and
    cleans ``uploaded.name`` with :func:`clean_file_name`. Reads no content
    (an upload may be gigabytes spooled to disk).
    """
    if getattr(uploaded, "size", None) == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    return clean_file_name(str(getattr(uploaded, "name", "") or ""), max_name_bytes)


def new_product_key(name: str) -> str:
    """A new, unguessable key for a product file called ``name`` (already clean)."""
    return f"{KEY_PREFIX}{uuid.uuid4().hex}/{name}"
