"""Shared steps for the plugin's tests: buying through core's services (``buy``
and ``logged_in`` are core's, from ``marketplace_core.testing.factories``), and
fetching presigned links over real HTTP.

The download and authorization tests every backend needs moved into core's
storage contract kit (``marketplace_core.testing.contracts_storage``, run in
``test_storage_contract.py``); these helpers serve the S3-specific tests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.test import Client

from marketplace_core.catalog.models import Product
from marketplace_core.testing import factories
from marketplace_core.testing.factories import buy, logged_in

__all__ = ["buy", "download_path", "http_get", "logged_in", "presigned_link", "product_with"]


def product_with(content: bytes, file_name: str = "guide.pdf", **fields: object) -> Product:
    """A published product whose file (``content``) went through the storage."""
    return factories.make_product(content=content, file_name=file_name, **fields)


def download_path(product: Product) -> str:
    return f"/products/{product.slug}/download/"


def presigned_link(client: Client, product: Product, endpoint_url: str) -> str:
    """The link the download view redirects an owner to; it must point at the store."""
    response = client.get(download_path(product))
    assert response.status_code == 302, response
    location = response["Location"]
    store = urlsplit(endpoint_url)
    link = urlsplit(location)
    assert (link.scheme, link.netloc) == (store.scheme, store.netloc), location
    assert "X-Amz-Signature=" in link.query
    return location


def http_get(url: str) -> requests.Response:
    """A browser's plain GET (no credentials, no redirects followed)."""
    return requests.get(url, timeout=30, allow_redirects=False)
