"""A file store that cannot be reached: the seller is told, nothing is half-saved,
and ``/healthz`` names the storage.

The store here is a backend plugin whose storage raises core's
``StorageUnavailable`` (what a backend's storage raises instead of its client
library's connection errors); the S3 plugin runs the same scenes against a
real SeaweedFS server that is stopped and started again.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace_core.catalog import services
from marketplace_core.catalog.models import Product
from marketplace_core.catalog.services import STORAGE_UNAVAILABLE_MESSAGE as REFUSED
from marketplace_core.conf import conf
from marketplace_core.exceptions import Rejected
from marketplace_core.storage.backends import LocalStorageBackend, StorageUnavailable
from tests.panels_support import logged_in
from tests.payments_support import fake_plugins, plugin_module

pytestmark = pytest.mark.django_db

CREATE_URL = "/seller/products/new/"


class UnreachableStorage(FileSystemStorage):
    """Local files that can be read, while writing finds the store gone."""

    def _save(self, name: str, content: Any) -> str:
        raise StorageUnavailable("connection refused")


class UnreachableBackend(LocalStorageBackend):
    identifier = "unreachable"
    verbose_name = "A store that does not answer"

    def get_storage(self) -> UnreachableStorage:
        return UnreachableStorage(location=conf.LOCAL_STORAGE_ROOT, base_url=None)

    def check_health(self) -> None:
        raise StorageUnavailable("connection refused")


@pytest.fixture
def store_down(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "STORAGE_BACKEND": "unreachable"}
    with fake_plugins(plugin_module("fake_unreachable",
                                    register_storage_backends=lambda: [UnreachableBackend])):
        yield


def form(**fields: Any) -> dict[str, Any]:
    return {"title": "Field Guide", "slug": "", "description": "Birds.", "price": "9.99",
            "currency": "USD", "action": "publish",
            "file": SimpleUploadedFile("guide.pdf", b"%PDF-1.4 new"), **fields}


def file_errors(page: str) -> list[str]:
    block = re.search(r'data-errors-for="file">(.*?)</div>', page, flags=re.S)
    return [html.unescape(e) for e in re.findall(r"<p>(.*?)</p>", block.group(1))] if block else []


def test_a_new_product_is_refused_with_a_form_error_and_not_saved(store_down, make_seller):
    client = logged_in(make_seller())

    response = client.post(CREATE_URL, form())

    assert response.status_code == 503
    assert file_errors(response.content.decode()) == [REFUSED]
    assert 'value="Field Guide"' in response.content.decode()  # what was typed is kept
    assert not Product.objects.exists()


def test_a_replaced_file_is_refused_and_the_product_keeps_its_file(make_seller, make_product,
                                                                    settings):
    seller = make_seller()
    product = make_product(seller=seller, title="Field Guide", file_name="v1.pdf")
    before = Product.objects.values().get(pk=product.pk)

    with fake_plugins(plugin_module("fake_unreachable",
                                    register_storage_backends=lambda: [UnreachableBackend])):
        settings.MARKETPLACE = {**settings.MARKETPLACE, "STORAGE_BACKEND": "unreachable"}
        response = logged_in(seller).post(f"/seller/products/{product.pk}/edit/",
                                          form(slug=product.slug, title="Field Guide 2"))

    assert response.status_code == 503
    page = response.content.decode()
    assert file_errors(page) == [REFUSED]
    # The page names the file buyers still get, not the one that was refused.
    assert re.search(r"data-current-file>v1\.pdf<", page)
    assert Product.objects.values().get(pk=product.pk) == before


def test_the_service_refuses_and_leaves_the_instance_unsaved(store_down, make_seller):
    product = Product(title="Field Guide", price=999, currency="USD")

    with pytest.raises(Rejected) as refused:
        services.save_product(product, seller=make_seller(), publish=True,
                              upload=SimpleUploadedFile("guide.pdf", b"data"))

    assert refused.value.code == "storage_unavailable"
    assert product.pk is None and product._state.adding
    assert not Product.objects.exists()


def test_healthz_names_the_storage(client, store_down):
    response = client.get("/healthz")

    # Pages still answer without the file store: degraded, not taken out of rotation.
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["failing"] == ["storage"]


def test_healthz_asks_the_local_backend_and_finds_it_well(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "storage" not in response.json()["failing"]
