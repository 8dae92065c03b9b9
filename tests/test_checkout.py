"""Checkout as a buyer meets it: billing form, order, hosted checkout, success page.

Most tests use Django's test client. The dummy hosted page sends its signed
webhook over HTTP to the site, so the tests that press Pay or Fail run
against pytest-django's live server with ``requests``.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlparse

import pytest
from django.http import HttpRequest
from django.test import Client

from marketplace_core.catalog.models import Product
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.payments.dummy import build_delivery, read_checkout_token
from marketplace_core.payments.providers import (
    CheckoutError,
    CheckoutSession,
    ParsedDelivery,
    PaymentProvider,
)
from tests.payments_support import (
    fake_plugins,
    logged_in_session,
    plugin_module,
    post_webhook,
    submit,
)

pytestmark = pytest.mark.django_db

BILLING = {"name": "Ada Buyer", "email": "ada@example.org", "country": "de"}


@pytest.fixture
def buyer(make_user):
    return make_user(email="buyer@example.com", name="Ada Buyer")


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD")


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def client_factory(make_user):
    """Test clients logged in as other users."""

    def make(user=None) -> Client:
        other = Client()
        other.force_login(user or make_user())
        return other

    return make


def buy_url(product: Product) -> str:
    return f"/products/{product.slug}/buy/"


def pay(order: Order, event: str = "payment.succeeded", payment_id: str = "pay_1") -> None:
    """The provider's webhook for ``order``, as the dummy provider signs it."""
    data = {"order_reference": str(order.reference), "payment_id": payment_id,
            "amount": order.amount, "currency": order.currency}
    response = post_webhook(Client(), *build_delivery(event, data))
    assert response.status_code == 200


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# -------------------------------------------------------------------------
# the billing form
# -------------------------------------------------------------------------


def test_billing_form_is_prefilled_with_name_and_email(buyer_client, product):
    response = buyer_client.get(buy_url(product))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Ada Buyer"' in html
    assert 'value="buyer@example.com"' in html
    assert 'name="country"' in html
    assert "Field Guide" in html
    assert "$19.99" in html or "19.99" in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_checkout_needs_login(client, product, method):
    response = getattr(client, method)(buy_url(product), BILLING if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=" in response["Location"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**BILLING, "email": "not-an-email"}, "email", "valid email"),
        ({**BILLING, "country": "Germany"}, "country", "from the list"),
        ({**BILLING, "country": "1x"}, "country", "from the list"),
        ({**BILLING, "country": "XX"}, "country", "from the list"),
        ({**BILLING, "name": ""}, "name", "required"),
        ({}, "email", "required"),
    ],
    ids=["email", "country-name", "country-digits", "country-not-iso", "no-name", "empty"],
)
def test_invalid_billing_details_are_shown_and_create_no_order(
    buyer_client, product, data, field, message
):
    response = buyer_client.post(buy_url(product), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message.lower() in " ".join(errors[field]).lower()
    assert 'class="errorlist' in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.by_database
def test_valid_billing_creates_the_order_then_redirects_to_the_hosted_checkout(
    buyer_client, buyer, product
):
    response = buyer_client.post(buy_url(product), BILLING)

    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path.startswith("/payments/dummy/checkout/")
    order = Order.objects.get()
    assert (order.buyer, order.product, order.status) == (buyer, product, Order.Status.PENDING)
    assert (order.amount, order.currency, order.provider) == (1999, "USD", "dummy")
    assert order.billing == {**BILLING, "country": "DE"}
    assert order.provider_checkout_id.startswith("dummy_cs_")
    token = location.path.rstrip("/").rsplit("/", 1)[1]
    assert read_checkout_token(token) == {
        "order": str(order.reference), "session": order.provider_checkout_id,
    }
    assert not PurchasedProduct.objects.exists()


@pytest.mark.by_database
def test_posting_again_reuses_the_pending_order(buyer_client, product):
    first = buyer_client.post(buy_url(product), BILLING)
    second = buyer_client.post(buy_url(product), {**BILLING, "country": "FR"})

    assert first.status_code == second.status_code == 302
    order = Order.objects.get()
    assert order.billing["country"] == "FR"


def test_owner_is_sent_to_my_products_with_a_message(buyer_client, buyer, product):
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    pay(order)

    for response in (buyer_client.get(buy_url(product), follow=True),
                     buyer_client.post(buy_url(product), BILLING, follow=True)):
        assert response.redirect_chain == [("/account/products/", 302)]
        assert "You already own this product." in messages_of(response)
        assert "Field Guide" in response.content.decode()
    assert Order.objects.count() == 1


def test_a_seller_who_owns_it_is_sent_to_the_seller_panels_purchases(client, make_seller,
                                                                     product):
    seller = make_seller()
    pay(services.start_checkout(buyer=seller, product=product, provider="dummy"))
    client.force_login(seller)

    response = client.get(buy_url(product), follow=True)

    assert response.redirect_chain == [("/seller/purchases/", 302)]
    assert "You already own this product." in messages_of(response)
    assert "Field Guide" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "fields", [{"status": Product.Status.DRAFT}, {"is_active": False}],
    ids=["draft", "inactive"],
)
def test_product_not_for_sale_is_404(buyer_client, make_product, method, fields):
    product = make_product(**fields)
    response = getattr(buyer_client, method)(buy_url(product),
                                             BILLING if method == "post" else None)
    assert response.status_code == 404
    assert not Order.objects.exists()


def test_unknown_product_is_404(buyer_client):
    assert buyer_client.get("/products/no-such-thing/buy/").status_code == 404


# -------------------------------------------------------------------------
# providers: a real provider class registered through a fake plugin
# -------------------------------------------------------------------------


class RecordingProvider(PaymentProvider):
    """A provider that fails the first ``failures`` checkouts, then succeeds.

    It records, at the moment it is asked, whether the order is already saved
    (it must be: the provider puts its reference into the session metadata).
    """

    identifier = "recording"
    verbose_name = "Recording test provider"
    failures: ClassVar[int] = 0
    seen: ClassVar[list[dict[str, Any]]] = []

    def start_checkout(self, request: HttpRequest, order: Order) -> CheckoutSession:
        type(self).seen.append({
            "reference": str(order.reference),
            "saved_pending": Order.objects.filter(
                pk=order.pk, status=Order.Status.PENDING).exists(),
        })
        if type(self).failures > 0:
            type(self).failures -= 1
            raise CheckoutError("The payment service is unavailable, please try again.")
        return CheckoutSession(
            redirect_url=f"https://pay.example.test/session/{order.reference}",
            provider_checkout_id=f"cs_{len(type(self).seen)}",
        )

    def parse_webhook(self, request: HttpRequest) -> ParsedDelivery:
        raise NotImplementedError


@pytest.fixture
def recording_provider(settings):
    def register_payment_providers() -> list[type[PaymentProvider]]:
        return [RecordingProvider]

    RecordingProvider.failures = 0
    RecordingProvider.seen = []
    with fake_plugins(plugin_module("fake_payments_plugin",
                                    register_payment_providers=register_payment_providers)):
        settings.MARKETPLACE = {**settings.MARKETPLACE, "PAYMENT_PROVIDER": "recording"}
        yield RecordingProvider


def test_order_exists_before_the_provider_is_asked(buyer_client, recording_provider, product):
    response = buyer_client.post(buy_url(product), BILLING)

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"https://pay.example.test/session/{order.reference}"
    assert recording_provider.seen == [{"reference": str(order.reference),
                                        "saved_pending": True}]
    assert order.provider == "recording"
    assert order.provider_checkout_id == "cs_1"


def test_provider_error_shows_a_clear_message_and_can_be_retried(
    buyer_client, recording_provider, product
):
    recording_provider.failures = 1

    failed = buyer_client.post(buy_url(product), BILLING)

    assert failed.status_code == 502
    html = failed.content.decode()
    assert "The payment service is unavailable, please try again." in html
    assert 'value="Ada Buyer"' in html, "the buyer's details are kept for the retry"
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING
    assert order.provider_checkout_id == ""

    retried = buyer_client.post(buy_url(product), BILLING)

    assert retried.status_code == 302
    assert Order.objects.get().pk == order.pk
    assert [s["reference"] for s in recording_provider.seen] == [str(order.reference)] * 2


# -------------------------------------------------------------------------
# the dummy hosted checkout page
# -------------------------------------------------------------------------


def _hosted_url(client, product) -> str:
    response = client.post(buy_url(product), BILLING)
    assert response.status_code == 302
    return urlparse(response["Location"]).path


def test_hosted_page_shows_the_order(buyer_client, product):
    response = buyer_client.get(_hosted_url(buyer_client, product))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Field Guide" in html
    assert 'value="pay"' in html and 'value="fail"' in html
    # In the site's layout, with the way back to the product.
    assert '<header class="site-header">' in html
    assert f'<a href="/products/{product.slug}/">Back to the product</a>' in html


def test_hosted_page_of_another_user_is_404(buyer_client, product, client_factory):
    url = _hosted_url(buyer_client, product)
    other = client_factory()
    assert other.get(url).status_code == 404
    assert other.post(url, {"outcome": "pay"}).status_code == 404
    assert Order.objects.get().status == Order.Status.PENDING


@pytest.mark.parametrize("position", [-1, 5, 20], ids=["last", "early", "middle"])
def test_tampered_hosted_page_token_is_404(buyer_client, product, position):
    url = _hosted_url(buyer_client, product)
    token = url.rstrip("/").rsplit("/", 1)[1]
    index = position % len(token)
    swapped = "A" if token[index] != "A" else "B"
    tampered = token[:index] + swapped + token[index + 1:]

    assert buyer_client.get(f"/payments/dummy/checkout/{tampered}/").status_code == 404
    response = buyer_client.post(f"/payments/dummy/checkout/{tampered}/", {"outcome": "pay"})
    assert response.status_code == 404


def test_hosted_page_needs_login(client, buyer_client, product):
    url = _hosted_url(buyer_client, product)
    buyer_client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_hosted_page_asks_for_pay_or_fail(buyer_client, product):
    response = buyer_client.post(_hosted_url(buyer_client, product), {"outcome": "maybe"})
    assert response.status_code == 400
    assert Order.objects.get().status == Order.Status.PENDING


def test_hosted_page_is_gone_when_another_provider_is_active(
    buyer_client, product, settings
):
    url = _hosted_url(buyer_client, product)
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PAYMENT_PROVIDER": "elsewhere"}
    assert buyer_client.get(url).status_code == 404


def test_hosted_page_of_a_paid_order_takes_no_second_payment(buyer_client, product):
    url = _hosted_url(buyer_client, product)
    pay(Order.objects.get())

    for response in (buyer_client.get(url), buyer_client.post(url, {"outcome": "pay"})):
        assert response.status_code == 302
        assert response["Location"].startswith("/payments/success/")


@pytest.mark.smoke
@pytest.mark.django_db(transaction=True)
def test_failed_payment_then_retry_over_http(live_server, buyer, product):
    """Fail on the hosted page → the webhook fails the order → retry → pay → owned."""
    base = live_server.url
    session = logged_in_session(base, buyer.email)
    checkout_url = f"{base}{buy_url(product)}"

    hosted = submit(session, checkout_url, session.get(checkout_url).text, **BILLING)
    assert "/payments/dummy/checkout/" in hosted.url
    landed = submit(session, hosted.url, hosted.text, outcome="fail")

    first = Order.objects.get()
    assert first.status == Order.Status.FAILED
    assert first.payments.get().failure_reason
    assert "/payments/success/" in landed.url
    assert "failed" in landed.text
    assert f'href="{buy_url(product)}"' in landed.text  # the retry link
    assert not services.owns(buyer, product)

    form = session.get(checkout_url)
    hosted = submit(session, checkout_url, form.text, **BILLING)
    paid = submit(session, hosted.url, hosted.text, outcome="pay")

    assert paid.url.endswith("/account/products/")
    assert "Field Guide" in paid.text
    second = Order.objects.get(status=Order.Status.PAID)
    assert second.pk != first.pk
    assert services.owns(buyer, product)


# -------------------------------------------------------------------------
# the success page and the status poll
# -------------------------------------------------------------------------


@pytest.fixture
def pending_order(buyer, product) -> Order:
    return services.start_checkout(buyer=buyer, product=product, provider="dummy")


def test_success_page_grants_nothing_by_itself(buyer_client, pending_order, buyer, product):
    url = (f"/payments/success/?order={pending_order.reference}"
           "&status=succeeded&payment_id=pay_1&amount=1999")
    response = buyer_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "processing" in html
    assert f"/payments/orders/{pending_order.reference}/status/" in html  # polls
    pending_order.refresh_from_db()
    assert pending_order.status == Order.Status.PENDING
    assert not services.owns(buyer, product)
    assert not PurchasedProduct.objects.exists()


def test_success_page_after_payment_sends_the_buyer_home(buyer_client, pending_order):
    pay(pending_order)
    response = buyer_client.get(f"/payments/success/?order={pending_order.reference}",
                                follow=True)
    assert response.redirect_chain[-1] == ("/account/products/", 302)
    assert "Payment received: Field Guide is yours." in messages_of(response)


def test_success_page_for_a_failed_payment_offers_a_retry(buyer_client, pending_order,
                                                          product):
    pay(pending_order, "payment.failed")
    response = buyer_client.get(f"/payments/success/?order={pending_order.reference}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "failed" in html
    assert f'href="{buy_url(product)}"' in html
    assert "hx-get" not in html, "a settled order is not polled"


def test_only_the_buyer_sees_their_order(pending_order, client_factory, make_user):
    other = client_factory(make_user())
    for url in (f"/payments/success/?order={pending_order.reference}",
                f"/payments/orders/{pending_order.reference}/status/"):
        assert other.get(url).status_code == 404


@pytest.mark.parametrize("query", ["", "?order=", "?order=not-a-uuid", "?order=1"],
                         ids=["missing", "empty", "garbage", "numeric-id"])
def test_success_page_with_a_bad_reference_is_404(buyer_client, query):
    assert buyer_client.get(f"/payments/success/{query}").status_code == 404


def test_success_page_needs_login(client, pending_order):
    response = client.get(f"/payments/success/?order={pending_order.reference}")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_status_poll_while_pending_keeps_polling(buyer_client, pending_order):
    response = buyer_client.get(f"/payments/orders/{pending_order.reference}/status/",
                                headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "HX-Redirect" not in response


def test_status_poll_redirects_once_paid(buyer_client, pending_order):
    pay(pending_order)
    response = buyer_client.get(f"/payments/orders/{pending_order.reference}/status/",
                                headers={"HX-Request": "true"})
    # htmx follows HX-Redirect only on a 2xx answer without a Location of its own.
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/payments/success/?order={pending_order.reference}"
    assert "Location" not in response


def test_status_poll_stops_when_failed(buyer_client, pending_order):
    pay(pending_order, "payment.failed")
    response = buyer_client.get(f"/payments/orders/{pending_order.reference}/status/",
                                headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "failed" in html
    assert "hx-get" not in html
    assert "HX-Redirect" not in response
