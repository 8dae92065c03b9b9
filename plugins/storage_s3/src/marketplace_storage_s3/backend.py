"""The ``"s3"`` storage backend: private bucket, presigned downloads."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils import timezone

from marketplace_core.plugins.types import DownloadTarget
from marketplace_core.storage.backends import StorageBackend, StorageUnavailable
from marketplace_storage_s3.conf import link_ttl
from marketplace_storage_s3.storage import S3ProductStorage
from marketplace_storage_s3.validation import (
    MAX_KEY_BYTES,
    MAX_SEGMENT_BYTES,
    UploadRules,
    validate_upload,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.ownership.models import PurchasedProduct

logger = logging.getLogger("marketplace_storage_s3")

class S3StorageBackend(StorageBackend):
    """Product files in ``MARKETPLACE["storage_s3"]["BUCKET"]``.

    - :meth:`get_storage` builds a fresh :class:`S3ProductStorage` from the
      current settings (core caches it until ``MARKETPLACE`` changes).
    - :meth:`download_target` presigns a GET for the purchase's file, valid for
      :func:`~marketplace_storage_s3.conf.link_ttl` seconds (the product's link
      lifetime, else ``LINK_TTL``, else core's ``DOWNLOAD_LINK_TTL``; never
      over 7 days), saved by the browser as
      ``product.file_name``. Core calls it only for a checked, active ownership.
      No network call is made.
    - :meth:`validate_upload` is for the seller's product form: call it before
      ``product.set_file(...)``.
    - :meth:`check_health` asks the bucket (``HEAD``, one short attempt) at
      most once per :attr:`health_cache_seconds` per process.
    """

    identifier = "s3"
    verbose_name = "Amazon S3 (or S3-compatible) bucket"
    max_key_bytes = MAX_KEY_BYTES
    max_segment_bytes = MAX_SEGMENT_BYTES
    #: How long :meth:`check_health` reuses its last answer, in seconds.
    health_cache_seconds: ClassVar[float] = 5.0

    def __init__(self) -> None:
        self._health_lock = threading.Lock()
        #: When the bucket was last asked, and what was wrong then (``None``: nothing).
        self._health: tuple[float, str | None] | None = None

    def get_storage(self) -> S3ProductStorage:
        return S3ProductStorage.from_settings()

    def download_target(self, request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget:
        product = purchase.product
        key = str(product.file.name or "")
        ttl = link_ttl(product)
        # Sign first, then compute the expiry: the link never outlives expires_at.
        url = self.get_storage().presigned_get_url(
            key, expires_in=ttl, download_name=product.file_name or PurePosixPath(key).name
        )
        return DownloadTarget(url=url, expires_at=timezone.now() + dt.timedelta(seconds=ttl))

    def validate_upload(self, uploaded: Any, rules: UploadRules | None = None) -> str:
        """Core's check (``file_empty``, the name cleaned to fit
        :meth:`name_budget`), then ``rules`` (default: ``MAX_UPLOAD_SIZE`` and
        ``ALLOWED_EXTENSIONS``). Raises ``django.core.exceptions.ValidationError``
        (see :mod:`marketplace_storage_s3.validation`)."""
        return validate_upload(uploaded, rules)

    def check_health(self) -> None:
        """Raise :class:`StorageUnavailable` unless the bucket answered its last
        ``HEAD`` (made at most every :attr:`health_cache_seconds`, with the
        ``probe`` client's short timeout and no retry), so ``/healthz`` cannot flood the store.
        A change between reachable and unreachable is logged."""
        with self._health_lock:
            now = time.monotonic()
            if self._health is None or now - self._health[0] >= self.health_cache_seconds:
                problem = self.get_storage().probe()
                previous = self._health
                if problem is not None and (previous is None or previous[1] is None):
                    logger.warning("The S3 bucket cannot be reached: %s", problem)
                elif problem is None and previous is not None and previous[1] is not None:
                    logger.info("The S3 bucket can be reached again.")
                self._health = (now, problem)
            problem = self._health[1]
        if problem is not None:
            raise StorageUnavailable(problem)
