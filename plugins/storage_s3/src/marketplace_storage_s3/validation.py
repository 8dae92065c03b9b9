"""Checks a seller's upload must pass before it is stored: size, extension, name.

Core's seller product form can call these through the backend
(:meth:`marketplace_storage_s3.backend.S3StorageBackend.validate_upload`) or
directly; both raise Django's ``ValidationError`` with a stable ``code`` so a
form shows the message next to its file field.
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
# Same character class as django.utils.text.get_valid_filename, which core uses
# for Product.file_name, so the key and the saved-as name agree.
_NOT_ALLOWED = re.compile(r"(?u)[^-\w.]")


def sanitize_file_name(name: str) -> str:
    """A safe base name for ``name`` as a browser sent it.

    Drops any directory part (``/`` and ``\\``, since old browsers send
    ``C:\\Users\\me\\guide.pdf``), control characters and anything but letters,
    digits, ``-``, ``_`` and ``.``; spaces become ``_``; leading dots go (no
    hidden files, no ``..``); the stem is shortened so the whole name has at
    most :data:`MAX_NAME_LENGTH` characters. Never empty: ``"file"`` is the last
    resort. Non-ASCII letters are kept (NFC-normalized).
    """
    base = re.split(r"[/\\]", str(name))[-1]
    base = unicodedata.normalize("NFC", _CONTROL.sub("", base)).strip().replace(" ", "_")
    base = _NOT_ALLOWED.sub("", base).lstrip(".")
    if not base.strip("._-"):
        return "file"
    if len(base) > MAX_NAME_LENGTH:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            base = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_NAME_LENGTH]
    return base


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


def validate_upload(uploaded: Any, rules: UploadRules | None = None) -> str:
    """Validate ``uploaded`` (a Django ``File``/``UploadedFile``) against ``rules``
    (default: the settings) and return its sanitized file name.

    Raises ``ValidationError`` with code ``file_empty`` (0 bytes),
    ``file_size_unknown`` (a cap is set and the size cannot be read),
    ``file_too_large`` or ``file_extension``. Reads no file content.
    """
    rules = rules or UploadRules.from_settings()
    name = sanitize_file_name(getattr(uploaded, "name", "") or "")
    try:
        size: int | None = uploaded.size
    except (AttributeError, OSError):
        size = None
    if size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
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
    return name
