"""The ``"s3"`` storage backend: private bucket, presigned downloads."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from marketplace_core.plugins.types import DownloadTarget
from marketplace_core.storage.backends import StorageBackend
from marketplace_storage_s3.conf import link_ttl
from marketplace_storage_s3.storage import S3ProductStorage
from marketplace_storage_s3.validation import (
    PreparedUpload,
    UploadRules,
    check_rules,
    shorten_name,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.ownership.models import PurchasedProduct


class S3StorageBackend(StorageBackend):
    """Product files in ``MARKETPLACE["storage_s3"]["BUCKET"]``.

    - :meth:`get_storage` builds a fresh :class:`S3ProductStorage` from the
      current settings (core caches it until ``MARKETPLACE`` changes).
    - :meth:`download_target` presigns a GET for the purchase's file, valid for
      :func:`~marketplace_storage_s3.conf.link_ttl` seconds (``LINK_TTL``, else
      core's ``DOWNLOAD_LINK_TTL``; never over 7 days), saved by the browser as
      ``product.file_name``. Core calls it only for a checked, active ownership.
      No network call is made.
    - :meth:`validate_upload` is for the seller's product form: call it before
      ``product.set_file(...)``.
    """

    identifier = "s3"
    verbose_name = "Amazon S3 (or S3-compatible) bucket"

    def get_storage(self) -> S3ProductStorage:
        return S3ProductStorage.from_settings()

    def download_target(self, request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget:
        product = purchase.product
        key = str(product.file.name or "")
        ttl = link_ttl()
        # Sign first, then compute the expiry: the link never outlives expires_at.
        url = self.get_storage().presigned_get_url(
            key, expires_in=ttl, download_name=product.file_name or PurePosixPath(key).name
        )
        return DownloadTarget(url=url, expires_at=timezone.now() + dt.timedelta(seconds=ttl))

    def validate_upload(self, uploaded: Any, rules: UploadRules | None = None) -> str:
        """Core's check (``file_empty``, name cleaning), then this plugin's:
        NFC and control characters before it, the name-length cap after it, and
        ``rules`` (default: ``MAX_UPLOAD_SIZE`` and ``ALLOWED_EXTENSIONS``).
        Raises ``django.core.exceptions.ValidationError`` (see
        :mod:`marketplace_storage_s3.validation`)."""
        prepared = PreparedUpload.of(uploaded)
        name = shorten_name(super().validate_upload(prepared))
        check_rules(name, prepared.size, UploadRules.from_settings() if rules is None else rules)
        return name
