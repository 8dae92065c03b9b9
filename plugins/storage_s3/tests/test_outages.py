"""The store goes down, hangs, comes back: the seller is told, nothing is
half-saved, ``/healthz`` says so, and nothing needs restarting.

Every fault is real: the SeaweedFS process is killed (``crash()``, data kept)
and started again on the same ports, or stopped with SIGSTOP (``freeze()``:
connections are accepted and never answered).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from marketplace_storage_s3.client import clients_for
from marketplace_storage_s3.conf import conf
from marketplace_storage_s3.testing import S3TestServer

from marketplace_core.catalog import services
from marketplace_core.catalog.models import Product
from marketplace_core.catalog.services import STORAGE_UNAVAILABLE_MESSAGE as REFUSED
from marketplace_core.exceptions import Rejected
from marketplace_core.plugins.registry import storage_backend
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import make_seller

from .helpers import logged_in
from .test_downloads import with_storage_options

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
#: Bounded enough that a hung store fails an upload in seconds.
IMPATIENT = {"CONNECT_TIMEOUT": 1, "READ_TIMEOUT": 1, "MAX_ATTEMPTS": 1}


@pytest.fixture
def store(s3: S3TestServer) -> Iterator[S3TestServer]:
    """The session's server, running again (and thawed) after the test whatever it did."""
    try:
        yield s3
    finally:
        s3.thaw() if s3.process and s3.process.poll() is None else s3.start()


def product_form(**fields: Any) -> dict[str, Any]:
    return {"title": "Field Guide", "slug": "", "description": "Birds.", "price": "9.99",
            "currency": "USD", "action": "publish",
            "file": SimpleUploadedFile("guide.pdf", CONTENT), **fields}


def file_errors(page: str) -> list[str]:
    block = re.search(r'data-errors-for="file">(.*?)</div>', page, flags=re.S)
    return [html.unescape(e) for e in re.findall(r"<p>(.*?)</p>", block.group(1))] if block else []


def failing_parts() -> list[str]:
    return list(Client().get("/healthz").json()["failing"])


def stored_keys(s3: S3TestServer) -> list[str]:
    listed = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix="products/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_an_upload_while_the_store_is_down_is_refused_and_works_once_it_is_back(store):
    client = logged_in(make_seller())
    create = reverse("marketplace:seller_product_create")
    assert "storage" not in failing_parts()

    store.crash()
    refused = client.post(create, product_form())

    assert refused.status_code == 503
    assert file_errors(refused.content.decode()) == [REFUSED]
    assert 'value="Field Guide"' in refused.content.decode()
    assert not Product.objects.exists()
    wait_until(lambda: "storage" in failing_parts(), what="/healthz to name the storage")
    health = Client().get("/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "degraded")

    store.start()  # same ports, same data; this process keeps its boto3 clients
    wait_until(lambda: "storage" not in failing_parts(), what="/healthz to recover")
    accepted = client.post(create, product_form())

    assert accepted.status_code == 302
    product = Product.objects.get()
    stored = store.client().get_object(Bucket=store.bucket, Key=product.file.name)
    assert stored["Body"].read() == CONTENT


def test_a_hung_store_fails_the_upload_within_the_configured_timeouts(store):
    """SIGSTOP: the kernel accepts connections, nobody answers. Before timeouts
    were settings, botocore waited 6 x 60 s per call."""
    client = logged_in(make_seller())

    with with_storage_options(store, **IMPATIENT):
        store.freeze()
        refused = client.post(reverse("marketplace:seller_product_create"), product_form())
        store.thaw()

    assert refused.status_code == 503
    assert file_errors(refused.content.decode()) == [REFUSED]
    assert not Product.objects.exists()


class CrashesTheStore(io.BytesIO):
    """A file that brings the store down once the upload has read ``after`` bytes."""

    def __init__(self, content: bytes, store: S3TestServer, after: int) -> None:
        super().__init__(content)
        self.store, self.after = store, after

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.after:
            self.store.crash()
        return super().read(size)


def test_a_store_lost_in_the_middle_of_a_multipart_upload_leaves_nothing(store):
    """Three 5 MiB parts; the store dies after the first. No product, and once
    the store is back, no object under the key (s3transfer could not abort the
    upload while the store was gone: a lifecycle rule clears such parts)."""
    part = 5 * 1024 * 1024
    content = bytes(range(256)) * (3 * part // 256)
    upload = File(CrashesTheStore(content, store, after=part), name="season.zip")
    product = Product(title="Season", price=999, currency="USD")

    with with_storage_options(store, UPLOAD_CHUNK_SIZE=part, UPLOAD_CONCURRENCY=1,
                              **IMPATIENT), pytest.raises(Rejected) as refused:
        services.save_product(product, seller=make_seller(), publish=True, upload=upload)

    assert refused.value.code == "storage_unavailable"
    assert product.pk is None and not Product.objects.exists()
    store.start()
    assert not [key for key in stored_keys(store) if key.endswith("/season.zip")]


def test_health_asks_the_bucket_at_most_once_per_cache_period(store, monkeypatch):
    """Counted on the probe client's own event hook, as the request leaves."""
    heads: list[str] = []

    def count(request: Any, **kwargs: Any) -> None:
        heads.append(f"{request.method} {request.url}")

    probe = clients_for(conf.connection()).probe
    probe.meta.events.register("before-send.s3.HeadBucket", count)
    backend = storage_backend()
    try:
        monkeypatch.setattr(backend, "health_cache_seconds", 0.0)
        assert failing_parts() == []  # asks now
        monkeypatch.setattr(backend, "health_cache_seconds", 3600.0)
        for _ in range(5):
            assert failing_parts() == []  # the answer above, kept
        assert heads == [f"HEAD {store.endpoint_url}/{store.bucket}"]

        monkeypatch.setattr(backend, "health_cache_seconds", 0.0)
        for _ in range(3):
            assert failing_parts() == []
        assert len(heads) == 4
    finally:
        probe.meta.events.unregister("before-send.s3.HeadBucket", count)


def test_the_timeouts_and_attempts_reach_the_clients(store):
    with with_storage_options(store, CONNECT_TIMEOUT=2.5, READ_TIMEOUT=7, MAX_ATTEMPTS=4):
        clients = clients_for(conf.connection())
    config = clients.api.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2.5, 7)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    probe = clients.probe.meta.config
    assert (probe.connect_timeout, probe.read_timeout, probe.retries["total_max_attempts"]) == (
        2.0, 2.0, 1)
