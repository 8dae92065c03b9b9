"""Checks a seller's upload must pass before it is stored: size, extension, name.

Core's :func:`~marketplace_core.storage.uploads.check_upload` refuses empty
files and cleans the name (base name only, NFC, no control characters;
letters, digits, ``-``, ``_`` and ``.``; no leading dot; the extension kept;
at most :data:`NAME_BUDGET` UTF-8 bytes, so ``products/<uuid>/<name>`` fits the
store's key limits). This module adds the :class:`UploadRules` (size cap,
allowed extensions). Every refusal is Django's ``ValidationError`` with a
stable ``code`` so a form shows the message next to its file field.

:meth:`marketplace_storage_s3.backend.S3StorageBackend.validate_upload` is
:func:`validate_upload` with the settings' rules; this module never imports the
backend (an import-linter contract keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from marketplace_core.storage.uploads import check_upload, clean_file_name, name_budget
from marketplace_storage_s3.conf import conf

#: S3's limit on a key, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
#: The limit on a part of a key between slashes in SeaweedFS and MinIO (they
#: keep keys as paths), which AWS does not have: names fit every S3-compatible store.
MAX_SEGMENT_BYTES = 255
#: How many UTF-8 bytes a stored file name may take.
NAME_BUDGET = name_budget(max_key_bytes=MAX_KEY_BYTES, max_segment_bytes=MAX_SEGMENT_BYTES)


def upload_size(uploaded: Any) -> int | None:
    """``uploaded.size``, or ``None`` when it cannot be read. Reads no content."""
    try:
        size: int | None = uploaded.size
    except (AttributeError, OSError):
        size = None
    return size


def sanitize_file_name(name: str) -> str:
    """The name :func:`validate_upload` stores ``name`` (as a browser sent it)
    under. Never empty: ``"file"`` is the last resort."""
    return clean_file_name(name, NAME_BUDGET)


@dataclass(frozen=True)
class UploadRules:
    """What an upload may be: at most ``max_size`` bytes (``None``: any size),
    with one of ``allowed_extensions`` (lower case, no dot; ``None``: any)."""

    max_size: int | None = None
    allowed_extensions: frozenset[str] | None = None

    @classmethod
    def from_settings(cls) -> UploadRules:
        """``MAX_UPLOAD_SIZE`` and ``ALLOWED_EXTENSIONS`` of ``MARKETPLACE["storage_s3"]``."""
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
    """Validate ``uploaded`` (a Django ``File``/``UploadedFile``) against core's
    rules, then ``rules`` (default: the settings); return its sanitized file name.

    Raises ``ValidationError`` with code ``file_empty`` (0 bytes, core's rule),
    ``file_size_unknown``, ``file_too_large`` or ``file_extension``.
    """
    name = check_upload(uploaded, max_name_bytes=NAME_BUDGET)
    check_rules(name, upload_size(uploaded), UploadRules.from_settings() if rules is None
                else rules)
    return name
