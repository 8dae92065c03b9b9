"""Guest checkout: buying with an email address alone, the orders a browser
started, and what it may see of them (docs/guests.md).

The tasks run eagerly on commit (real commits: ``transaction=True``); emails go
to Django's locmem outbox. ``integration/test_guest_browser.py`` does the same
in Chromium against real servers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import Client

from marketplace_core.guests.identities import is_guest
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.people.users import users_with_email
from tests.test_downloads import fetch
from tests.test_receipts import SITE, deliver, emails_to

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = b"%PDF-1.4 field guide\n" * 40


@pytest.fixture(autouse=True)
def _guests_on(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_NAME": "Paper Shop", "SITE_URL": SITE,
                            "GUEST_CHECKOUT": True, "ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG": True}
    cache.clear()  # rate-limit counts of earlier tests


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD", content=CONTENT)


def buy(client: Client, product, email: str, **extra: str):
    return client.post(f"/products/{product.slug}/buy/", {
        "name": "Grace Guest", "email": email, "country": "DE", **extra})


def order_of(email: str) -> Order:
    return Order.objects.select_related("buyer").get(billing__email__iexact=email)


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# ---------------------------------------------------------------------------
# the setting
# ---------------------------------------------------------------------------


def test_without_the_setting_a_visitor_is_sent_to_log_in(settings, product):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "GUEST_CHECKOUT": False}
    client = Client()
    response = client.get(f"/products/{product.slug}/buy/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = buy(client, product, "grace@example.com")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Order.objects.exists() and not users_with_email("grace@example.com").exists()
    page = client.get(product.get_absolute_url()).content.decode()
    assert "Log in to buy" in page


def test_the_product_page_offers_buying_without_an_account(product):
    page = Client().get(product.get_absolute_url()).content.decode()
    assert f'href="/products/{product.slug}/buy/" data-action="buy"' in page
    assert "No account needed" in page


# ---------------------------------------------------------------------------
# checking out
# ---------------------------------------------------------------------------


def test_a_new_address_buys_as_a_guest_and_nobody_is_logged_in(product):
    client = Client()
    form = client.get(f"/products/{product.slug}/buy/")
    assert form.status_code == 200
    assert 'name="email"' in form.content.decode()

    response = buy(client, product, "Grace@Example.com")

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path.startswith("/payments/dummy/checkout/")
    order = order_of("grace@example.com")
    guest = order.buyer
    assert is_guest(guest) and not guest.has_usable_password()
    assert order.status == Order.Status.PENDING and order.product == product
    assert not logged_in(client)


def test_an_address_with_an_account_gets_the_order_and_the_same_answer(make_user, product):
    ada = make_user(email="ada@example.com")
    new, known = Client(), Client()
    first = buy(new, product, "new@example.com")
    second = buy(known, product, "ada@example.com")

    assert (first.status_code, second.status_code) == (302, 302)
    assert urlsplit(first["Location"]).path.rsplit("/", 2)[0] == urlsplit(
        second["Location"]).path.rsplit("/", 2)[0]
    assert sorted(first.headers) == sorted(second.headers)
    assert order_of("ada@example.com").buyer_id == ada.pk
    assert users_with_email("ada@example.com").count() == 1  # no guest beside the account
    assert not is_guest(ada)
    assert not logged_in(known)


def test_bad_input_makes_no_order_and_no_user(product):
    response = buy(Client(), product, "not-an-address")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not Order.objects.exists()
    assert not users_with_email("not-an-address").exists()


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_checkouts_without_login_are_limited_per_client_address(settings, product):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"guest_checkouts": "2/h"}}
    client = Client()
    assert buy(client, product, "a@example.com").status_code == 302
    assert buy(client, product, "b@example.com").status_code == 302
    refused = buy(client, product, "c@example.com")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many checkouts from your network" in refused.content.decode()
    assert not users_with_email("c@example.com").exists()


def test_an_address_that_owns_the_product_gets_an_email_not_a_second_order(product):
    client = Client()
    buy(client, product, "grace@example.com")
    deliver(order_of("grace@example.com"))
    mail.outbox.clear()

    response = buy(Client(), product, "grace@example.com")

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert Order.objects.filter(product=product).count() == 1
    (email,) = emails_to("grace@example.com")
    assert email.subject == "Your purchases at Paper Shop"


def test_a_sellers_address_cannot_buy_their_product_and_learns_it_by_email(product):
    seller_email = product.seller.email
    response = buy(Client(), product, seller_email)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert not Order.objects.exists()
    (email,) = emails_to(seller_email)
    assert "This address has an account: log in" in email.body


# ---------------------------------------------------------------------------
# after paying: this browser's order, and no other
# ---------------------------------------------------------------------------


def test_the_browser_that_paid_sees_the_order_and_downloads_the_file(product):
    client = Client()
    buy(client, product, "grace@example.com")
    order = order_of("grace@example.com")
    processing = client.get(f"/payments/success/?order={order.reference}")
    assert processing.status_code == 200 and "Payment processing" in processing.content.decode()

    deliver(order)

    page = client.get(f"/payments/success/?order={order.reference}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Payment received" in text and "Field Guide" in text
    download = client.get(f"/payments/orders/{order.reference}/download/")
    assert download.status_code == 302
    response, body = fetch(client, urlsplit(download["Location"]).path)
    assert response.status_code == 200 and body == CONTENT
    assert not logged_in(client)
    (receipt,) = emails_to("grace@example.com")
    assert "Your receipt" in receipt.subject or "Field Guide" in receipt.subject


def test_another_browser_sees_nothing_of_a_guests_order(product):
    buyer_browser, stranger = Client(), Client()
    buy(buyer_browser, product, "grace@example.com")
    order = order_of("grace@example.com")
    deliver(order)
    buy(stranger, product, "other@example.com")  # holds an order of its own

    assert stranger.get(f"/payments/success/?order={order.reference}").status_code == 404
    assert stranger.get(f"/payments/orders/{order.reference}/status/").status_code == 404
    assert stranger.get(f"/payments/orders/{order.reference}/download/").status_code == 404
    anonymous = Client().get(f"/payments/success/?order={order.reference}")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_failed_guest_payment_shows_the_reason_and_try_again(product):
    client = Client()
    buy(client, product, "grace@example.com")
    order = order_of("grace@example.com")
    deliver(order, "payment.failed", reason="The card was declined.")
    text = client.get(f"/payments/success/?order={order.reference}").content.decode()
    assert "Payment failed" in text and "The card was declined." in text
    assert f'href="/products/{product.slug}/buy/" data-action="try-again"' in text
    assert buy(client, product, "grace@example.com").status_code == 302
    assert not PurchasedProduct.objects.exists()


def test_the_admin_lists_guests_apart(make_user, product):
    buy(Client(), product, "grace@example.com")
    make_user(email="ada@example.com")
    admin = Client()
    admin.force_login(make_user(email="root@example.com", is_staff=True, is_superuser=True))
    guests = admin.get("/admin/marketplace_core/account/?guest__exact=1").content.decode()
    assert "grace@example.com" in guests and "ada@example.com" not in guests
