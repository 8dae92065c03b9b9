"""A Django ``Storage`` for product files in a private S3 bucket.

Contract:

- Objects are written without an ACL, so they stay as private as the bucket
  (an unsigned GET is refused). Keys are the names core generates
  (``products/<uuid4 hex>/<sanitized name>``); this storage never invents names.
- Uploads stream through boto3's managed transfer: files above
  ``UPLOAD_CHUNK_SIZE`` go as a multipart upload, read one part at a time. A
  Django ``TemporaryUploadedFile`` is sent from its path on disk (nothing held
  in memory); any other file object is read in parts, at most
  ``UPLOAD_CONCURRENCY`` of them in memory at once.
- :meth:`presigned_get_url` is the only way to read an object from outside;
  :meth:`url` returns the object's plain, unsigned address (refused by the
  store) so it can never leak access when some template renders it.
- A store that cannot be reached (refused, timed out, answering 5xx after the
  client's bounded retries) raises core's ``StorageUnavailable``, never a
  botocore error. An upload that fails leaves no object behind: s3transfer
  aborts a multipart upload, and the key is deleted in case the store kept a
  single ``PUT`` whose answer was lost (both best effort while it is down: a
  bucket lifecycle rule that aborts incomplete multipart uploads catches the rest).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import logging
import mimetypes
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import Storage
from django.utils import timezone
from django.utils.http import content_disposition_header

from marketplace_core.storage.backends import StorageUnavailable
from marketplace_storage_s3.client import S3Clients, clients_for, unsigned_client_for
from marketplace_storage_s3.conf import ConnectionOptions, conf

#: Downloads through :meth:`S3ProductStorage.open` spill to disk above this size.
SPOOL_MAX_MEMORY = 8 * 1024 * 1024
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
#: botocore's errors for a store that did not answer (refused, timed out, cut off).
_NO_ANSWER = (BotocoreConnectionError, HTTPClientError)

logger = logging.getLogger("marketplace_storage_s3")


@contextlib.contextmanager
def reaching_the_store() -> Iterator[None]:
    """Turn "the store cannot be reached" into core's :class:`StorageUnavailable`:
    no answer at all, or a 5xx (also inside s3transfer's ``S3UploadFailedError``)
    after the client's retries. Other errors (403, 404, ...) pass unchanged."""
    try:
        yield
    except _NO_ANSWER as exc:
        raise StorageUnavailable(f"The S3 store did not answer: {exc}") from exc
    except (ClientError, S3UploadFailedError) as exc:
        cause = exc if isinstance(exc, ClientError) else exc.__context__
        if isinstance(cause, ClientError) and _status(cause) >= 500:
            raise StorageUnavailable(f"The S3 store failed: {exc}") from exc
        raise


class S3ProductStorage(Storage):
    """Product files in ``options.bucket``; see the module docstring for the contract."""

    def __init__(self, options: ConnectionOptions, *, chunk_size: int, concurrency: int) -> None:
        self.options = options
        self.chunk_size = chunk_size
        self.concurrency = concurrency

    @classmethod
    def from_settings(cls) -> S3ProductStorage:
        return cls(conf.connection(), chunk_size=conf.UPLOAD_CHUNK_SIZE,
                   concurrency=conf.UPLOAD_CONCURRENCY)

    @property
    def bucket(self) -> str:
        return self.options.bucket

    @property
    def clients(self) -> S3Clients:
        return clients_for(self.options)

    # -- writing ----------------------------------------------------------

    def transfer_config(self) -> TransferConfig:
        """Multipart above one part, ``concurrency`` parts in flight and in memory."""
        config = TransferConfig(
            multipart_threshold=self.chunk_size,
            multipart_chunksize=self.chunk_size,
            max_concurrency=self.concurrency,
            use_threads=True,
            # The classic s3transfer client: its memory bound is the one documented here.
            preferred_transfer_client="classic",
        )
        # s3transfer reads each part of a plain stream into memory before sending
        # it; its default would allow 10 such parts. Bound it to the parts in flight.
        config.max_in_memory_upload_chunks = self.concurrency
        return config

    def _save(self, name: str, content: Any) -> str:
        key = _key(name)
        try:
            with reaching_the_store():
                self._upload(key, content)
        except BaseException:
            self._forget_partial(key)
            raise
        return key

    def upload_extra_args(self, key: str) -> dict[str, str]:
        """What is sent with each object besides its bytes (boto3's ``ExtraArgs``)."""
        return {"ContentType": mimetypes.guess_type(key)[0] or "application/octet-stream"}

    def _upload(self, key: str, content: Any) -> None:
        extra = self.upload_extra_args(key)
        temporary_path = getattr(content, "temporary_file_path", None)
        if callable(temporary_path):
            # Django already streamed the upload to disk: let s3transfer read
            # each part straight from the file instead of copying it into memory.
            self.clients.api.upload_file(
                temporary_path(), self.bucket, key, ExtraArgs=extra, Config=self.transfer_config()
            )
            return
        _rewind(content)
        self.clients.api.upload_fileobj(
            content, self.bucket, key, ExtraArgs=extra, Config=self.transfer_config()
        )

    def _forget_partial(self, key: str) -> None:
        """Delete ``key`` after a failed upload (one short attempt; its name is
        new and unguessable, so it belongs to nothing else)."""
        try:
            self.clients.probe.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # the store is probably still down
            logger.warning("Could not delete %r after a failed upload: %s", key, exc)

    def delete(self, name: str) -> None:
        with reaching_the_store():
            self.clients.api.delete_object(Bucket=self.bucket, Key=_key(name))

    def probe(self) -> str | None:
        """What keeps the bucket from answering a ``HEAD`` right now (one short
        attempt with the ``probe`` client), or ``None`` when it answers."""
        try:
            with reaching_the_store():
                self.clients.probe.head_bucket(Bucket=self.bucket)
        except (StorageUnavailable, ClientError, BotoCoreError) as exc:  # no credentials too
            return str(exc)
        return None

    # -- reading ----------------------------------------------------------

    def _open(self, name: str, mode: str = "rb") -> File:
        """A local, seekable copy of the object (spooled to disk when large).

        Read-only: write through :meth:`save`, which streams to the bucket.
        """
        if any(flag in mode for flag in "wax+"):
            raise ValueError(f"S3 product files open read-only, not with mode {mode!r}.")
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)  # noqa: SIM115
        try:
            with reaching_the_store():
                self.clients.api.download_fileobj(self.bucket, _key(name), spool)
        except ClientError as exc:
            spool.close()
            if _is_not_found(exc):
                raise FileNotFoundError(name) from exc
            raise
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return File(spool, name=name)

    def _head(self, name: str) -> dict[str, Any]:
        try:
            with reaching_the_store():
                return dict(self.clients.api.head_object(Bucket=self.bucket, Key=_key(name)))
        except ClientError as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(name) from exc
            raise

    def exists(self, name: str) -> bool:
        """Whether the object exists. Errors other than "not found" (403: wrong
        credentials or bucket policy) are raised, never read as "absent"."""
        try:
            self._head(name)
        except FileNotFoundError:
            return False
        return True

    def size(self, name: str) -> int:
        return int(self._head(name)["ContentLength"])

    def get_modified_time(self, name: str) -> dt.datetime:
        modified: dt.datetime = self._head(name)["LastModified"]
        if settings.USE_TZ:
            return modified
        return timezone.make_naive(modified)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = _key(path).rstrip("/") + "/" if path else ""
        directories: list[str] = []
        files: list[str] = []
        paginator = self.clients.api.get_paginator("list_objects_v2")
        with reaching_the_store():
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
                directories += [p["Prefix"][len(prefix):].rstrip("/")
                                for p in page.get("CommonPrefixes", [])]
                files += [o["Key"][len(prefix):] for o in page.get("Contents", [])]
        return directories, files

    # -- links ------------------------------------------------------------

    def presigned_get_url(self, name: str, *, expires_in: int, download_name: str) -> str:
        """A GET link valid for ``expires_in`` seconds that makes the browser
        save the object as ``download_name`` (``Content-Disposition: attachment``).

        Signed for ``PUBLIC_ENDPOINT_URL`` when set. Never log or render it.
        """
        return str(self.clients.presign.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": _key(name),
                "ResponseContentDisposition": content_disposition_header(
                    as_attachment=True, filename=download_name),
            },
            ExpiresIn=expires_in,
        ))

    def url(self, name: str | None) -> str:
        """The object's unsigned address: the store refuses it; use
        :meth:`presigned_get_url` (through the download view) for access."""
        return str(unsigned_client_for(self.options).generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": _key(name or "")}
        ))


class S3MediaStorage(S3ProductStorage):
    """Product images (core's ``MARKETPLACE["MEDIA_STORAGE"]`` alias) in a bucket anyone
    may read: the opposite of :class:`S3ProductStorage`'s contract, so never the
    product files' bucket.

    Use it as a ``STORAGES`` backend::

        STORAGES["marketplace_media"] = {
            "BACKEND": "marketplace_storage_s3.storage.S3MediaStorage",
            "OPTIONS": {"bucket": "shop-media",
                        "base_url": "https://media.example.com/"},  # optional (a CDN)
        }

    The connection (endpoint, region, timeouts) is ``MARKETPLACE["storage_s3"]``'s;
    ``bucket`` is the public one (its policy grants anonymous ``s3:GetObject``, see
    docs/media.md). :meth:`url` is the object's plain address (``base_url`` + key,
    else the store's public endpoint), made without a network call or a signature.
    Objects get ``Cache-Control`` (names never change: a new image gets a new name)
    and, with ``object_acl="public-read"``, that ACL for stores that use ACLs.
    """

    def __init__(self, *, bucket: str | None = None, base_url: str | None = None,
                 object_acl: str | None = None,
                 cache_control: str = "public, max-age=31536000, immutable") -> None:
        options = conf.connection()
        if not bucket or bucket == options.bucket:
            # Check storage_s3.E017 says so at start-up; this refuses to store anyway.
            raise ImproperlyConfigured(
                "S3MediaStorage needs a public bucket of its own (OPTIONS 'bucket'), "
                "never the product files' private BUCKET.")
        options = dataclasses.replace(options, bucket=bucket)
        super().__init__(options, chunk_size=conf.UPLOAD_CHUNK_SIZE,
                         concurrency=conf.UPLOAD_CONCURRENCY)
        self.object_acl = object_acl
        self.cache_control = cache_control
        self._base_url = base_url.rstrip("/") + "/" if base_url else None

    def upload_extra_args(self, key: str) -> dict[str, str]:
        extra = {**super().upload_extra_args(key), "CacheControl": self.cache_control}
        if self.object_acl:
            extra["ACL"] = self.object_acl
        return extra

    def url(self, name: str | None) -> str:
        """The object's public address (string work only: a product card asks for
        several per product)."""
        if self._base_url is None:
            # The address of a one-letter key, spelled by botocore once, minus that letter.
            self._base_url = super().url("x")[:-1]
        return self._base_url + quote(_key(name or ""))


def _key(name: str) -> str:
    return name.replace("\\", "/").lstrip("/")


def _is_not_found(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _rewind(content: Any) -> None:
    """Start from the beginning, as Django's own storages do (``File.chunks``)."""
    # A stream that cannot seek is read from where it is.
    with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation, ValueError):
        content.seek(0)
