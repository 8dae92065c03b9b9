"""Checks a seller's upload must pass before it is stored: size, extension, name.

Core's :meth:`~marketplace_core.storage.backends.StorageBackend.validate_upload`
refuses empty files and cleans the name (base name only; letters, digits,
``-``, ``_`` and ``.``; no leading dot; ``"file"`` when nothing is left).
:meth:`marketplace_storage_s3.backend.S3StorageBackend.validate_upload` calls it
and adds only what core lacks: NFC normalization and control-character
removal before core's cleaning (so a decomposed ``"U\u0308"`` stays ``"Ü"``), a
:data:`MAX_NAME_LENGTH` cap after it, and the :class:`UploadRules` (size cap,
allowed extensions). Every refusal is Django's ``ValidationError`` with a
stable ``code`` so a form shows the message next to its file field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

#: Longest file name kept (characters); keys stay far below S3's 1024-byte limit.
MAX_NAME_LENGTH = 150

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PreparedUpload:
    """What core's ``validate_upload`` reads of an upload (``name`` and ``size``),
    with the name already NFC-normalized and free of control characters."""

    name: str
    size: int | None

    @classmethod
    def of(cls, uploaded: Any) -> PreparedUpload:
        name = str(getattr(uploaded, "name", "") or "")
        return cls(name=unicodedata.normalize("NFC", _CONTROL.sub("", name)),
                   size=upload_size(uploaded))


def upload_size(uploaded: Any) -> int | None:
    """``uploaded.size``, or ``None`` when it cannot be read. Reads no content."""
    try:
        size: int | None = uploaded.size
    except (AttributeError, OSError):
        size = None
    return size


def shorten_name(name: str) -> str:
    """``name`` with its stem shortened so the whole has at most
    :data:`MAX_NAME_LENGTH` characters (an extension of up to 16 is kept)."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 16:
        return stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
    return name[:MAX_NAME_LENGTH]


def sanitize_file_name(name: str) -> str:
    """The name :func:`validate_upload` stores ``name`` (as a browser sent it) under:
    core's cleaning plus this plugin's NFC, control-character and length rules.
    Never empty: ``"file"`` is the last resort."""
    return validate_upload(PreparedUpload(name=name, size=None), UploadRules())


@dataclass(frozen=True)
class UploadRules:
    """What an upload may be: at most ``max_size`` bytes (``None``: any size),
    with one of ``allowed_extensions`` (lower case, no dot; ``None``: any)."""

    max_size: int | None = None
    allowed_extensions: frozenset[str] | None = None

    @classmethod
    def from_settings(cls) -> UploadRules:
        """``MAX_UPLOAD_SIZE`` and ``ALLOWED_EXTENSIONS`` of ``MARKETPLACE["storage_s3"]``."""
        from marketplace_storage_s3.conf import conf

        return cls(max_size=conf.MAX_UPLOAD_SIZE, allowed_extensions=conf.ALLOWED_EXTENSIONS)


def _extension_allowed(name: str, allowed: frozenset[str]) -> bool:
    lowered = name.lower()
    # endswith, not splitext, so "tar.gz" can be allowed as one extension.
    return any(lowered.endswith("." + ext) for ext in allowed if ext)


def check_rules(name: str, size: int | None, rules: UploadRules) -> None:
    """Refuse a (cleaned) ``name`` of ``size`` bytes that ``rules`` do not allow:
    codes ``file_size_unknown`` (a cap is set and the size is ``None``),
    ``file_too_large`` or ``file_extension``."""
    if rules.max_size is not None:
        if size is None:
            raise ValidationError(
                _("The size of the file could not be determined."), code="file_size_unknown"
            )
        if size > rules.max_size:
            raise ValidationError(
                _("The file is %(size)s; files may be at most %(max)s."),
                code="file_too_large",
                params={"size": filesizeformat(size), "max": filesizeformat(rules.max_size)},
            )
    if rules.allowed_extensions is not None and not _extension_allowed(
        name, rules.allowed_extensions
    ):
        raise ValidationError(
            _("Files of this type are not accepted. Allowed: %(allowed)s."),
            code="file_extension",
            params={"allowed": ", ".join(sorted("." + e for e in rules.allowed_extensions))},
        )


def validate_upload(uploaded: Any, rules: UploadRules | None = None) -> str:
    """Validate ``uploaded`` (a Django ``File``/``UploadedFile``) against ``rules``
    (default: the settings) and return its sanitized file name.

    The same check as :meth:`~marketplace_storage_s3.backend.S3StorageBackend.validate_upload`
    (core's rules first), without a configured backend. Raises
    ``ValidationError`` with code ``file_empty`` (0 bytes, core's rule),
    ``file_size_unknown``, ``file_too_large`` or ``file_extension``.
    """
    from marketplace_storage_s3.backend import S3StorageBackend

    return S3StorageBackend().validate_upload(uploaded, rules)
