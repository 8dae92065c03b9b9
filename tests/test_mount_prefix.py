"""The shop mounted under ``/shop/`` (``tests.urls_shop``): every page, link, form
action, HTMX URL, redirect and email link stays under the mount."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests
from django.core import mail
from django.test import Client

from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.testing.factories import DEFAULT_PASSWORD, make_category
from tests.account_support import fresh_limits

__all__ = ["fresh_limits"]
pytestmark = [pytest.mark.urls("tests.urls_shop")]

#: Site-relative URLs in attributes: links, form actions, HTMX requests, data-* for JS.
_URL_ATTRIBUTE = re.compile(r'\b(?:href|action|src|hx-[a-z]+|data-[a-z-]+)="(/[^"]*)"')
_OUTSIDE_THE_SHOP = ("/static/", "/media/")


def _assert_links_under_shop(html: str, page: str) -> int:
    urls = _URL_ATTRIBUTE.findall(html)
    stray = [u for u in urls if not u.startswith(("/shop/", *_OUTSIDE_THE_SHOP))]
    assert stray == [], f"{page} links outside /shop/: {stray}"
    return len(urls)


def _walk(client: Client, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert _assert_links_under_shop(response.content.decode(), url) > 0, url


@pytest.mark.django_db
def test_buyer_pages_link_inside_the_mount(client: Client, make_product, make_user) -> None:
    product = make_product(title="Field Guide")
    assert product.get_absolute_url().startswith("/shop/products/")
    _walk(client, ["/shop/", "/shop/products/", product.get_absolute_url(),
                   "/shop/accounts/login/", "/shop/accounts/register/",
                   "/shop/accounts/password-reset/"])
    assert 'href="/shop/accounts/login/?next=' in client.get(product.get_absolute_url()).text
    # The project's own pages are the project's.
    assert client.get("/").content == b"the project's home"

    buy = client.get(f"/shop/products/{product.slug}/buy/")
    assert (buy.status_code, buy["Location"]) == (
        302, f"/shop/accounts/login/?next=/shop/products/{product.slug}/buy/")
    client.force_login(make_user())
    _walk(client, ["/shop/account/products/", "/shop/account/orders/", "/shop/account/profile/",
                   f"/shop/products/{product.slug}/buy/"])
    logout = client.post("/shop/accounts/logout/")
    assert logout["Location"].startswith("/shop/")


@pytest.mark.django_db
def test_seller_pages_link_inside_the_mount(client: Client, make_seller, make_product) -> None:
    seller = make_seller()
    product = make_product(seller=seller)
    category = make_category(seller=seller)
    client.force_login(seller)
    _walk(client, ["/shop/seller/", "/shop/seller/products/", "/shop/seller/products/new/",
                   f"/shop/seller/products/{product.pk}/edit/", "/shop/seller/categories/",
                   "/shop/seller/categories/new/", f"/shop/seller/categories/{category.pk}/edit/",
                   "/shop/seller/purchases/", "/shop/seller/orders/", "/shop/seller/profile/"])
    assert 'data-dashboard-api="/shop/api/v1/seller/dashboard' in client.get("/shop/seller/").text
    assert client.get("/shop/api/v1/seller/dashboard").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_limits")
def test_email_links_point_into_the_mount(client: Client, django_capture_on_commit_callbacks
                                          ) -> None:
    password = "a-long-unusual-passphrase-93"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/shop/accounts/register/", {
            "email": "ada@example.com", "name": "Ada", "password1": password,
            "password2": password})
    assert response["Location"] == "/shop/accounts/register/sent/"
    [message] = mail.outbox
    assert "http://testserver/shop/accounts/verify-email/" in message.body
    assert "http://testserver/accounts/" not in message.body


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_purchase_and_download_under_the_mount(live_server, make_user, make_product,
                                               settings) -> None:
    """Over HTTP: the dummy provider's hosted page, its webhook (sent to the webhook
    URL under the mount), the success redirect and the download stay under /shop/."""
    settings.DEBUG = True  # local downloads are a development feature
    product = make_product(title="Field Guide", content=b"%PDF-1.4 field guide")
    buyer = make_user(email="buyer@example.com")
    base = live_server.url
    session = requests.Session()
    login = f"{base}/shop/accounts/login/"
    page = session.get(login)
    signed_in = session.post(login, data={"username": buyer.email, "password": DEFAULT_PASSWORD,
                                          "csrfmiddlewaretoken": _csrf(page.text)},
                             headers={"Referer": login})
    assert signed_in.url.startswith(f"{base}/shop/")

    checkout = f"{base}/shop/products/{product.slug}/buy/"
    form = session.get(checkout)
    hosted = session.post(checkout, data={"name": "Ada Buyer", "email": buyer.email,
                                          "country": "de", "csrfmiddlewaretoken": _csrf(form.text)},
                          headers={"Referer": checkout})
    assert hosted.url.startswith(f"{base}/shop/payments/dummy/checkout/")
    paid = session.post(hosted.url, data={"outcome": "pay",
                                          "csrfmiddlewaretoken": _csrf(hosted.text)},
                        headers={"Referer": hosted.url})
    assert paid.url == f"{base}/shop/account/products/"
    assert Order.objects.get(buyer=buyer).status == Order.Status.PAID
    assert PurchasedProduct.objects.filter(buyer=buyer, product=product).exists()
    _assert_links_under_shop(paid.text, paid.url)

    download = session.get(f"{base}/shop/products/{product.slug}/download/",
                           allow_redirects=False)
    link = urljoin(f"{base}/", download.headers["Location"])
    assert link.startswith(f"{base}/shop/downloads/local/")
    assert session.get(link).content == b"%PDF-1.4 field guide"
