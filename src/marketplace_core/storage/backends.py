"""Where product files live, and how an owner gets a short-lived link to one.

A storage backend pairs a Django ``Storage`` (for uploads) with a way to turn
an active ownership into a :class:`~marketplace_core.plugins.types.DownloadTarget`.
Core ships :class:`LocalStorageBackend`; plugins add others through
``register_storage_backends``. ``MARKETPLACE["STORAGE_BACKEND"]`` picks one.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any, ClassVar

from django.core import signing
from django.core.files.storage import FileSystemStorage, Storage
from django.urls import reverse
from django.utils import timezone

from marketplace_core.conf import MAX_DOWNLOAD_LINK_TTL, conf
from marketplace_core.plugins.registry import storage_backend
from marketplace_core.plugins.types import DownloadTarget
from marketplace_core.storage.uploads import (
    check_upload,
    clean_file_name,
    name_budget,
    new_product_key,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.ownership.models import PurchasedProduct

DOWNLOAD_TOKEN_SALT = "marketplace_core.local_download"  # noqa: S105  (a salt, not a secret)


def download_link_ttl(product: object | None = None) -> int:
    """How long a download link lives, in seconds, capped at seven days:
    ``product``'s own ``link_lifetime_minutes`` when its seller set one, else
    the site's ``DOWNLOAD_LINK_TTL``."""
    minutes = getattr(product, "link_lifetime_minutes", None)
    seconds = minutes * 60 if minutes else conf.DOWNLOAD_LINK_TTL
    return max(1, min(seconds, MAX_DOWNLOAD_LINK_TTL))


class StorageUnavailable(Exception):
    """The file store could not be reached (refused, timed out, answered 5xx).

    Raised by a backend's storage instead of its client library's errors, so
    core can tell the seller to try again instead of answering 500.
    """


class StorageBackend:
    """Base class of product file storage backends.

    Rules for implementers:

    - Files must be private: nothing in the store may be readable without a
      link produced by :meth:`download_target`.
    - :meth:`download_target` is only called for an active ownership that core
      has checked belongs to the requesting user. The URL it returns must
      expire within :func:`download_link_ttl` ``(purchase.product)`` seconds and
      make the browser save ``purchase.product.file`` under
      ``purchase.product.file_name``. For a download of an earlier version,
      core sets those two to that version's on the (unsaved) product it passes.
    - Never log or render the returned URL.
    - When the store cannot be reached, storage calls raise
      :class:`StorageUnavailable` (the seller is told to try again; nothing is
      saved), and :meth:`check_health` raises.
    """

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    #: The longest key the store accepts, in UTF-8 bytes (S3's limit).
    max_key_bytes: ClassVar[int] = 1024
    #: The longest part of a key between slashes, in UTF-8 bytes (a file name
    #: on local file systems; SeaweedFS and MinIO hold keys the same way).
    max_segment_bytes: ClassVar[int] = 255

    def get_storage(self) -> Storage:
        """The Django storage product files are uploaded to."""
        raise NotImplementedError

    def download_target(self, request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget:
        """A short-lived URL for the product file of ``purchase``."""
        raise NotImplementedError

    def validate_upload(self, uploaded: Any) -> str:
        """Check a seller's upload before it is stored; return the name to store it under.

        The seller's product form calls this for every new deliverable and
        shows a ``django.core.exceptions.ValidationError`` next to the file
        field. Must not read the file's content (it may be gigabytes spooled to
        disk). Core's rule (:func:`~marketplace_core.storage.uploads.check_upload`):
        a file must not be empty (code ``file_empty``); the name loses any
        directory part, control characters and every character but letters,
        digits, ``-``, ``_`` and ``.``, keeps its extension (``😀.zip`` →
        ``file.zip``) and is shortened to :meth:`name_budget` UTF-8 bytes.
        Backends add their own rules (size caps, allowed extensions) by
        overriding it.
        """
        return check_upload(uploaded, max_name_bytes=self.name_budget())

    def name_budget(self) -> int:
        """How many UTF-8 bytes a stored file name may take: what is left of
        :attr:`max_key_bytes` after ``products/<uuid>/``, at most
        :attr:`max_segment_bytes`."""
        return name_budget(max_key_bytes=self.max_key_bytes,
                           max_segment_bytes=self.max_segment_bytes)

    def check_health(self) -> None:
        """Raise (preferably :class:`StorageUnavailable`) when the store cannot
        be reached; ``/healthz`` reports the ``storage`` part failing then.

        Called on every health probe, so it must be cheap and end within a few
        seconds (short timeouts, no retries; cache the answer for a few seconds
        if it needs the network). The default does nothing: a backend whose
        store is this process's own disk has nothing to ask.
        """


class LocalStorageBackend(StorageBackend):
    """Files on the local disk, outside ``MEDIA_ROOT``; for development and tests.

    Downloads go through ``LocalProductDownloadView`` with a signed, expiring
    token. That view refuses to serve when ``DEBUG`` is off unless
    ``MARKETPLACE["ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG"]`` is set.
    """

    identifier = "local"
    verbose_name = "Local files"

    def get_storage(self) -> Storage:
        return FileSystemStorage(location=conf.LOCAL_STORAGE_ROOT, base_url=None)

    def download_target(self, request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget:
        ttl = download_link_ttl(purchase.product)
        token = signing.dumps(
            {"p": purchase.pk, "f": purchase.product.file.name, "t": ttl},
            salt=DOWNLOAD_TOKEN_SALT,
        )
        url = request.build_absolute_uri(
            reverse("marketplace:local_download", kwargs={"token": token})
        )
        return DownloadTarget(url=url, expires_at=timezone.now() + dt.timedelta(seconds=ttl))


def read_download_token(token: str) -> dict[str, Any]:
    """The payload of a local download token; raises ``signing.BadSignature``
    (or its subclass ``SignatureExpired``) when tampered with or too old.

    A token lives as long as the lifetime it was signed with (``t``, the
    product's at the time), never over seven days; one without ``t`` lives
    the site's ``DOWNLOAD_LINK_TTL``."""
    payload = signing.loads(token, salt=DOWNLOAD_TOKEN_SALT, max_age=MAX_DOWNLOAD_LINK_TTL)
    if not isinstance(payload, dict) or not {"p", "f"} <= payload.keys():
        raise signing.BadSignature("Malformed download token.")
    ttl = payload.get("t")
    lifetime = (max(1, min(ttl, MAX_DOWNLOAD_LINK_TTL)) if isinstance(ttl, int)
                else download_link_ttl())
    signing.loads(token, salt=DOWNLOAD_TOKEN_SALT, max_age=lifetime)  # SignatureExpired
    return payload


class DelegatingStorage(Storage):
    """A ``Storage`` that hands every call to the storage :meth:`_target` returns.

    Model fields are declared when models load, before settings may change
    (``override_settings``) and before plugins are ready; a field given one of
    these looks its real storage up at each use instead.
    """

    def _target(self) -> Storage:
        raise NotImplementedError

    def resolved(self) -> Storage:
        """The storage calls go to right now (to call it many times in a row)."""
        return self._target()

    def open(self, name: str, mode: str = "rb") -> Any:
        return self._target().open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self._target().save(name, content, max_length=max_length)

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self._target().generate_filename(filename)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self._target().get_available_name(name, max_length=max_length)

    def path(self, name: str) -> str:
        return self._target().path(name)

    def delete(self, name: str) -> None:
        self._target().delete(name)

    def exists(self, name: str) -> bool:
        return self._target().exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self._target().listdir(path)

    def size(self, name: str) -> int:
        return self._target().size(name)

    def url(self, name: str | None) -> str:
        return self._target().url(name)

    def get_modified_time(self, name: str) -> dt.datetime:
        return self._target().get_modified_time(name)


class ProductStorage(DelegatingStorage):
    """Delegates to the active backend's storage, resolved at first use.

    ``Product.file`` is declared when models load, before plugins are ready and
    while ``override_settings`` may still change the backend, so the real
    storage is looked up lazily and re-resolved after :func:`reset_product_storage`.
    """

    def __init__(self) -> None:
        self._storage: Storage | None = None

    def backend(self) -> StorageBackend:
        """The configured backend (``MARKETPLACE["STORAGE_BACKEND"]``)."""
        return storage_backend()

    def _target(self) -> Storage:
        if self._storage is None:
            self._storage = self.backend().get_storage()
        return self._storage

    def reset(self) -> None:
        self._storage = None


_product_storage = ProductStorage()


def product_storage() -> ProductStorage:
    """Callable used as ``Product.file``'s storage (kept by reference in migrations)."""
    return _product_storage


def product_file_key(filename: str) -> str:
    """A new key for a product file the seller called ``filename``: cleaned and
    shortened to the configured backend's :meth:`~StorageBackend.name_budget`
    (``Product.file``'s ``upload_to``, so every way of saving a file gets it)."""
    budget = _product_storage.backend().name_budget()
    return new_product_key(clean_file_name(filename, budget))


def reset_product_storage() -> None:
    _product_storage.reset()
