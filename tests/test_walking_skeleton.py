"""The thinnest path through the whole system, over real HTTP.

A seller's published product → a buyer pays with the dummy provider (whose
webhook comes back over HTTP, signed) → the purchase exists → the buyer
downloads the exact file.
"""

from __future__ import annotations

import re

import pytest
import requests

from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.testing.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]

FILE_BYTES = b"%PDF-1.4\n" + bytes(range(256)) * 40


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def _login(session: requests.Session, base: str, email: str) -> None:
    page = session.get(f"{base}/accounts/login/")
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": DEFAULT_PASSWORD,
              "csrfmiddlewaretoken": _csrf(page.text)},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    assert response.ok and "/accounts/login/" not in response.url


def test_publish_pay_own_download(live_server, make_user, make_product, settings):
    settings.DEBUG = True  # local downloads are a development feature
    product = make_product(title="Field Guide", content=FILE_BYTES, file_name="field-guide.pdf")
    buyer = make_user(email="buyer@example.com")
    base = live_server.url
    session = requests.Session()

    detail = session.get(f"{base}{product.get_absolute_url()}")
    assert "Log in to buy" in detail.text

    _login(session, base, buyer.email)
    detail = session.get(f"{base}{product.get_absolute_url()}")
    assert 'data-action="buy"' in detail.text

    checkout_url = f"{base}/products/{product.slug}/buy/"
    form = session.get(checkout_url)
    assert 'value="buyer@example.com"' in form.text
    hosted = session.post(
        checkout_url,
        data={"name": "Ada Buyer", "email": buyer.email, "country": "de",
              "csrfmiddlewaretoken": _csrf(form.text)},
        headers={"Referer": checkout_url},
    )
    assert "/payments/dummy/checkout/" in hosted.url
    order = Order.objects.get(buyer=buyer, product=product)
    assert order.status == Order.Status.PENDING
    assert order.billing["country"] == "DE"
    assert not PurchasedProduct.objects.filter(buyer=buyer).exists()

    paid = session.post(
        hosted.url,
        data={"outcome": "pay", "csrfmiddlewaretoken": _csrf(hosted.text)},
        headers={"Referer": hosted.url},
    )
    # The signed webhook came back over HTTP; the success page sends us home.
    assert paid.url.endswith("/account/products/")
    assert "Field Guide" in paid.text
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    purchase = PurchasedProduct.objects.get(buyer=buyer, product=product)
    assert purchase.is_active

    download = session.get(f"{base}/products/{product.slug}/download/", allow_redirects=False)
    assert download.status_code == 302
    assert "/downloads/local/" in download.headers["Location"]
    file_response = session.get(download.headers["Location"])
    assert file_response.status_code == 200
    assert file_response.content == FILE_BYTES
    assert 'filename="field-guide.pdf"' in file_response.headers["Content-Disposition"]
    assert file_response.headers["Content-Disposition"].startswith("attachment")
