"""Shared steps for the plugin's tests: buying and refunding through core's
services, and fetching presigned links over real HTTP.

Nothing here is specific to S3 except :func:`presigned_link`, which is why the
download and authorization tests could move into a core storage-backend
contract kit unchanged.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import requests
from django.core.files.base import ContentFile
from django.test import Client

from marketplace_core.catalog.models import Product
from marketplace_core.ownership import services
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.testing import factories


def product_with(content: bytes, file_name: str = "guide.pdf", **fields: object) -> Product:
    """A published product whose file (``content``) went through the storage."""
    return factories.make_product(content=content, file_name=file_name, **fields)


def replace_file(product: Product, content: bytes, file_name: str) -> None:
    """What the seller's form does when a new file is uploaded."""
    product.set_file(ContentFile(content, name=file_name), original_name=file_name)
    product.save()


def buy(buyer, product: Product) -> PurchasedProduct:
    """Pay for ``product`` through core's services, as a verified webhook would."""
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    outcome = services.confirm_payment(
        provider="dummy", order_reference=order.reference,
        provider_payment_id=f"pay_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )
    assert outcome == services.Outcome.CONFIRMED
    return PurchasedProduct.objects.get(order=order)


def refund(purchase: PurchasedProduct) -> None:
    """A full refund recorded through core: ownership is revoked."""
    order = purchase.order
    outcome = services.record_refund(
        provider="dummy", order_reference=order.reference,
        provider_refund_id=f"ref_{uuid.uuid4().hex}", amount=order.amount,
        currency=order.currency,
    )
    assert outcome == services.Outcome.REFUNDED


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


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
