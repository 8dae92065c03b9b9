"""Downloads: ownership-checked redirect, and the local development file server."""

from __future__ import annotations

import copy
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils.http import http_date
from django.views import View

from marketplace_core.conf import conf
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.storage.backends import LocalStorageBackend, read_download_token
from marketplace_core.storage.limits import take_download
from marketplace_core.storage.logging import log_download

logger = logging.getLogger("marketplace_core.storage")


class ProductDownloadView(LoginRequiredMixin, View):
    """``/products/<slug>/download/``: 302 to a short-lived link for an active owner;
    ``/products/<slug>/download/<version>/`` the same for one of its file versions.

    Anonymous users are sent to login. Anyone logged in without active
    ownership gets 404, so whether a purchase exists never leaks. The link
    comes from the ``resolve_download`` hook (by default the configured storage
    backend) and is never rendered or logged. Each download is recorded
    (double clicks within seconds count once).
    """

    # HEAD (link prefetchers) must not log a download or mint a link.
    http_method_names = ["get"]

    def get(self, request: HttpRequest, slug: str, version: int | None = None
            ) -> HttpResponse:
        purchase = (
            PurchasedProduct.objects.active()
            .select_related("product")
            .filter(buyer_id=request.user.pk, product__slug=slug)
            .first()
        )
        return download_redirect(request, purchase, version_id=version)


def _serving_version(purchase: PurchasedProduct, version: Any) -> PurchasedProduct:
    """A copy of ``purchase`` whose (unsaved) product carries ``version``'s file:
    what storage backends serve (see ``StorageBackend.download_target``)."""
    product = copy.copy(purchase.product)
    product.file = version.file.name
    product.file_name = version.file_name
    product.file_size = version.file_size
    serving = copy.copy(purchase)
    serving.product = product
    return serving


def download_redirect(request: HttpRequest, purchase: PurchasedProduct | None, *,
                      version_id: int | None = None) -> HttpResponse:
    """302 to a short-lived link to ``purchase``'s file, or to its file version
    ``version_id`` (the caller checked that the requester may have it),
    counting it against the product's download limit and recording it; 404
    without a file or for another product's version, 403 with a page saying
    so once the limit is used up."""
    if purchase is None or not purchase.product.file:
        raise Http404("No download available.")
    product = purchase.product
    versions = product.file_versions.all()  # catalog's model; storage does not import it
    if version_id is None:
        version = versions.filter(file=product.file.name).order_by("-number").first()
        serving = purchase
    else:
        version = versions.filter(pk=version_id).first()
        if version is None:
            raise Http404("No download available.")
        serving = _serving_version(purchase, version)
    target = get_plugin_manager().hook.resolve_download(request=request, purchase=serving)
    if target is None:
        raise Http404("No download available.")
    if not take_download(purchase):
        return render(request, "marketplace_core/panels/download_limit.html",
                      {"product": product, "purchase": purchase}, status=403)
    log_download(request, purchase, version=version)
    response = HttpResponseRedirect(target.url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


class LocalProductDownloadView(View):
    """Serve a local product file for a valid, unexpired signed token.

    For development: answers 404 when ``DEBUG`` is off unless
    ``MARKETPLACE["ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG"]`` is set, and when the
    configured storage backend is not local. An expired token answers 410, a
    tampered one 404. Re-checks that the ownership is still active and that the
    token names the product's current file, and never opens anything outside
    the storage root (``..``, absolute names and symbolic links included).

    Supports single-range requests (RFC 9110): ``Accept-Ranges: bytes``, 206
    with ``Content-Range`` for a satisfiable range, 416 for an unsatisfiable
    one; ``If-Range`` with a stale validator gets the whole file.
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, token: str) -> HttpResponseBase:
        if not (settings.DEBUG or conf.ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG):
            raise Http404("Local downloads are disabled.")
        from marketplace_core.plugins.registry import storage_backend

        backend = storage_backend()
        if not isinstance(backend, LocalStorageBackend):
            raise Http404("Local downloads are disabled.")
        try:
            payload: dict[str, Any] = read_download_token(token)
        except signing.SignatureExpired:
            return HttpResponse(
                "This download link has expired.", status=410, content_type="text/plain"
            )
        except signing.BadSignature as exc:
            raise Http404("Invalid download link.") from exc
        purchase = (
            PurchasedProduct.objects.active()
            .select_related("product")
            .filter(pk=payload["p"])
            .first()
        )
        file_name = _file_name_of(purchase, str(payload["f"]))
        if file_name is None:
            raise Http404("No download available.")
        handle = _open_inside_root(backend, str(payload["f"]))
        try:
            return _file_response(request, handle, file_name)
        except BaseException:
            handle.close()
            raise


def _file_name_of(purchase: PurchasedProduct | None, name: str) -> str | None:
    """The name the buyer saves stored file ``name`` under, when it is still
    the file or a kept version of ``purchase``'s product (else ``None``)."""
    if purchase is None or not name:
        return None
    product = purchase.product
    if product.file.name == name:
        return product.file_name
    version = product.file_versions.filter(file=name).first()
    return version.file_name if version is not None else None


def _open_inside_root(backend: LocalStorageBackend, name: str) -> BinaryIO:
    """Open ``name`` for reading; 404 unless it is a regular file inside the root."""
    storage = backend.get_storage()
    if not isinstance(storage, FileSystemStorage) or not name:
        raise Http404("No download available.")
    try:
        # safe_join refuses "..", absolute names and anything else outside the root...
        path = storage.path(name)
    except (SuspiciousFileOperation, ValueError) as exc:
        logger.warning("Refused a local download outside the storage root.")
        raise Http404("No download available.") from exc
    # ...and realpath catches a symbolic link that points out of it.
    root = os.path.realpath(storage.location)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        raise Http404("No download available.")
    try:
        return open(real, "rb")  # closed by the response
    except OSError as exc:
        raise Http404("No download available.") from exc


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range from ``first`` to ``last`` of a file."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class Unsatisfiable(Exception):
    """The requested range lies outside the file (answer 416)."""


_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def parse_range(header: str, size: int) -> ByteRange | None:
    """The single byte range ``header`` asks for in a file of ``size`` bytes.

    ``None`` means "serve the whole file": no header, a syntax error, several
    ranges (allowed by RFC 9110, which lets a server ignore ``Range``).
    Raises :class:`Unsatisfiable` when the range starts at or after the end.
    """
    match = _RANGE_RE.match(header or "")
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else None
    if last is not None and last < first:
        return None  # invalid range-spec: ignore the header
    if first >= size:
        raise Unsatisfiable
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))


class _RangeReader:
    """A read-only view of ``length`` bytes of a file from ``first`` on.

    Deliberately without ``fileno()``: servers that send files with
    ``sendfile`` would otherwise send the whole rest of the file.
    """

    def __init__(self, handle: BinaryIO, first: int, length: int) -> None:
        self._handle = handle
        self._remaining = length
        handle.seek(first)

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._handle.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


def _file_response(request: HttpRequest, handle: BinaryIO, file_name: str) -> HttpResponseBase:
    stat = os.fstat(handle.fileno())
    size = stat.st_size
    last_modified = http_date(stat.st_mtime)
    etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
    byte_range: ByteRange | None = None
    if_range = request.headers.get("If-Range")
    if if_range is None or if_range.strip() in (etag, last_modified):
        try:
            byte_range = parse_range(request.headers.get("Range", ""), size)
        except Unsatisfiable:
            handle.close()
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            refused["Accept-Ranges"] = "bytes"
            return refused
    download_name = file_name or os.path.basename(getattr(handle, "name", "")) or "download"
    response: FileResponse
    if byte_range is None:
        response = FileResponse(handle, as_attachment=True, filename=download_name)
    else:
        response = FileResponse(
            _RangeReader(handle, byte_range.first, byte_range.length),
            as_attachment=True, filename=download_name, status=206,
        )
        response["Content-Range"] = f"bytes {byte_range.first}-{byte_range.last}/{size}"
        response["Content-Length"] = str(byte_range.length)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = last_modified
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
