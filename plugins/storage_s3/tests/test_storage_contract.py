"""Core's storage backend contract kit, run against ``S3StorageBackend``.

Every link is a presigned GET fetched from the real SeaweedFS server, which
checks SigV4 signatures and expiry the way AWS does: it answers an expired or
tampered link 403, and a link without its signature 400.
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.utils import timezone
from marketplace_storage_s3.testing import S3TestServer

from marketplace_core.catalog.models import Product
from marketplace_core.testing.contracts_storage import (
    Fetched,
    StorageBackendContract,
    StorageHarness,
    TamperedLink,
)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**query(url), **changes},
                                                     quote_via=quote)))


class S3Harness(StorageHarness):
    identifier = "s3"
    expired_status = 403
    short_ttl = 3

    def __init__(self, server: S3TestServer) -> None:
        self.server = server

    def fetch(self, link: str) -> Fetched:
        response = requests.get(link, timeout=30, allow_redirects=False)
        return Fetched(status=response.status_code, body=response.content,
                       headers=response.headers)

    def expire(self, link: str) -> None:
        signed_at = dt.datetime.strptime(query(link)["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        expires = signed_at.replace(tzinfo=dt.UTC) + dt.timedelta(
            seconds=int(query(link)["X-Amz-Expires"]))
        time.sleep(max(0.0, (expires - timezone.now()).total_seconds()) + 1.5)

    def tampered(self, link: str, *, owned: Product, other: Product) -> dict[str, TamperedLink]:
        signature = query(link)["X-Amz-Signature"]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
        variants = {
            "signature": (with_query(link, **{"X-Amz-Signature": flipped}), 403),
            "expiry": (with_query(link, **{"X-Amz-Expires": "604800"}), 403),
            "date": (with_query(link, **{"X-Amz-Date": "20991231T000000Z"}), 403),
            "file name": (with_query(
                link, **{"response-content-disposition": 'attachment; filename="x.exe"'}), 403),
            # S3 answers a link without signature as malformed.
            "no signature": (link.split("&X-Amz-Signature=")[0], 400),
            # The same signature for another product's object: the key is signed.
            "key": (link.replace(owned.file.name, other.file.name), 403),
        }
        return {what: TamperedLink(url, status) for what, (url, status) in variants.items()}

    def check_link(self, link: str) -> None:
        store, parts = urlsplit(self.server.endpoint_url), urlsplit(link)
        assert (parts.scheme, parts.netloc) == (store.scheme, store.netloc), link
        assert "X-Amz-Signature=" in parts.query, link

    def contains_link(self, text: str) -> bool:
        return "X-Amz-Signature" in text or urlsplit(self.server.endpoint_url).netloc in text

    def direct_urls(self, key: str) -> list[str]:
        return [self.server.object_url(key)]


class TestS3StorageContract(StorageBackendContract):
    @pytest.fixture
    def harness(self, s3: S3TestServer) -> S3Harness:
        return S3Harness(s3)
