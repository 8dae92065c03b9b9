"""Checkout with Dodo, as a buyer meets it, against the fake Dodo server.

The billing form leads to a Dodo checkout session created through the real
SDK: the session carries the order reference in its metadata, Dodo's product
id for the order's product (created at Dodo on demand), the buyer's details,
and the way back to the payment success page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from marketplace_payments_dodo.models import DodoProduct
from marketplace_payments_dodo.provider import REFUSED_MESSAGE, UNAVAILABLE_MESSAGE
from marketplace_payments_dodo.sync import sync_status

from marketplace_core.ownership.models import Order

pytestmark = pytest.mark.django_db

BILLING = {"name": "Ada Buyer", "email": "ada@example.org", "country": "nl"}


@pytest.fixture
def buyer(make_user):
    return make_user(email="buyer@example.com", name="Ada Buyer")


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", description="A guide to the fields.",
                        price=1999, currency="USD")


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


def checkout(client, product, data=BILLING):
    return client.post(reverse("marketplace:checkout", kwargs={"slug": product.slug}), data)


COUNTRIES_CALL = "GET /checkout/supported_countries 200"


def api_calls(dodo) -> list[str]:
    """Dodo calls about products and checkouts (the country list is tested on its own)."""
    calls = [f"{e.method} {e.route} {e.status}" for e in dodo.exchanges]
    return [call for call in calls if call != COUNTRIES_CALL]


def test_billing_form_asks_for_what_dodo_needs(buyer_client, product):
    response = buyer_client.get(reverse("marketplace:checkout", kwargs={"slug": product.slug}))

    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["name", "email", "country"]
    html = response.content.decode()
    assert 'value="Ada Buyer"' in html
    assert 'value="buyer@example.com"' in html
    assert '<select name="country"' in html
    assert '<option value="NL">Netherlands</option>' in html


def test_country_must_be_an_iso_code(buyer_client, product, dodo):
    response = checkout(buyer_client, product, {**BILLING, "country": "Netherlands"})

    assert response.status_code == 400
    assert "Choose your country from the list." in response.content.decode()
    assert not Order.objects.exists()
    assert api_calls(dodo) == []


def test_only_the_countries_dodo_sells_to_are_offered_and_taken(buyer_client, product, dodo):
    url = reverse("marketplace:checkout", kwargs={"slug": product.slug})
    dodo.supported_countries = ["DE", "NL", "US"]

    html = buyer_client.get(url).content.decode()
    assert re.findall(r'<option value="([A-Z]{2})"', html) == ["DE", "NL", "US"]

    # Cuba is an ISO country, but not one Dodo sells to: a form error, no order.
    response = checkout(buyer_client, product, {**BILLING, "country": "CU"})
    assert response.status_code == 400
    assert not Order.objects.exists()
    assert checkout(buyer_client, product).status_code == 302
    # Asked once, then cached (the checkout form is shown and posted many times a day).
    calls = [f"{e.method} {e.route} {e.status}" for e in dodo.exchanges]
    assert calls.count(COUNTRIES_CALL) == 1


def test_the_fakes_country_list_leaves_out_what_dodo_does_not_sell_to(buyer_client, product):
    html = buyer_client.get(reverse("marketplace:checkout", kwargs={"slug": product.slug})
                            ).content.decode()
    offered = set(re.findall(r'<option value="([A-Z]{2})"', html))
    assert {"DE", "NL", "US", "JP"} <= offered
    assert offered.isdisjoint({"CU", "IR", "KP", "SY"})


def test_dodo_unreachable_for_the_list_offers_every_country(buyer_client, product, dodo):
    dodo.fail_next("GET", "/checkout/supported_countries", 503)
    html = buyer_client.get(reverse("marketplace:checkout", kwargs={"slug": product.slug})
                            ).content.decode()
    assert '<option value="CU">Cuba</option>' in html  # Dodo's checkout still decides


@pytest.mark.smoke
def test_checkout_creates_a_dodo_session_for_the_order(buyer_client, buyer, product, dodo):
    response = checkout(buyer_client, product)

    assert response.status_code == 302
    order = Order.objects.get(buyer=buyer, product=product)
    session = dodo.checkout_of(str(order.reference))
    assert response["Location"] == f"{dodo.url}/checkout/{session['id']}"
    assert order.provider == "dodo"
    assert order.provider_checkout_id == session["id"]
    assert session["metadata"] == {"order_reference": str(order.reference)}
    link = DodoProduct.objects.get(product=product)
    assert session["product_cart"] == [{"product_id": link.dodo_product_id, "quantity": 1}]
    assert session["customer"] == {"email": "ada@example.org", "name": "Ada Buyer"}
    assert session["billing_address"] == {"country": "NL"}
    back = urlsplit(session["return_url"])
    assert back.path == reverse("marketplace:payment_success")
    assert parse_qs(back.query) == {"order": [str(order.reference)]}
    assert urlsplit(session["cancel_url"]).path == product.get_absolute_url()


def test_product_missing_at_dodo_is_synced_on_demand(buyer_client, product, dodo, make_user,
                                                     client_factory):
    assert sync_status(product).state == "not_synced"

    checkout(buyer_client, product)

    assert api_calls(dodo) == ["POST /products 200", "POST /checkouts 200"]
    link = DodoProduct.objects.get(product=product)
    dodo_product = dodo.products[link.dodo_product_id]
    assert dodo_product["name"] == "Field Guide"
    assert dodo_product["description"] == "A guide to the fields."
    assert dodo_product["price"]["price"] == 1999
    assert dodo_product["price"]["currency"] == "USD"
    assert dodo_product["price"]["tax_inclusive"] is True
    assert dodo_product["metadata"] == {"marketplace_product_id": str(product.pk)}
    assert sync_status(product).state == "synced"

    # The next buyer's checkout uses the same Dodo product: no second sync.
    checkout(client_factory(make_user()), product)
    assert api_calls(dodo)[2:] == ["POST /checkouts 200"]


def test_price_changed_since_the_sync_is_updated_before_checkout(buyer_client, product, dodo):
    checkout(buyer_client, product)
    link = DodoProduct.objects.get(product=product)
    product.price = 2499
    product.save()

    response = checkout(buyer_client, product)

    assert response.status_code == 302
    assert api_calls(dodo)[2:] == ["PATCH /products/{id} 200", "POST /checkouts 200"]
    assert dodo.products[link.dodo_product_id]["price"]["price"] == 2499
    assert Order.objects.get().amount == 2499


def test_dodo_unavailable_shows_a_clear_message_and_the_order_can_be_retried(
    buyer_client, buyer, product, dodo
):
    dodo.fail_next("POST", "/checkouts", 503, times=3)  # the SDK tries three times

    response = checkout(buyer_client, product)

    assert response.status_code == 502
    assert UNAVAILABLE_MESSAGE in response.content.decode()
    order = Order.objects.get(buyer=buyer, product=product)
    assert order.status == Order.Status.PENDING
    assert order.provider_checkout_id == ""

    retry = checkout(buyer_client, product)

    assert retry.status_code == 302
    assert Order.objects.get(buyer=buyer, product=product).pk == order.pk
    assert dodo.checkout_of(str(order.reference))["id"] in retry["Location"]


def test_rate_limit_at_checkout_is_retried_by_the_sdk(buyer_client, product, dodo):
    dodo.fail_next("POST", "/checkouts", 429, times=1)

    response = checkout(buyer_client, product)

    assert response.status_code == 302
    assert [e.status for e in dodo.exchanges if e.route.startswith("/checkouts")] == [429, 200]


def test_product_dodo_refuses_shows_a_clear_message(buyer_client, make_product, dodo):
    # ISO 4217's test code: a valid currency for the shop, one Dodo does not take.
    product = make_product(title="Test Money", price=500, currency="XTS")

    response = checkout(buyer_client, product)

    assert response.status_code == 502
    assert REFUSED_MESSAGE in response.content.decode()
    assert Order.objects.get().status == Order.Status.PENDING
    status = sync_status(product)
    assert status.state == "failed"
    assert "Unsupported currency 'XTS'" in status.last_error
    assert not dodo.checkouts


def test_already_owned_product_is_not_sent_to_dodo(buyer_client, buyer, product, dodo):
    from marketplace_core.ownership import services

    order = services.start_checkout(buyer=buyer, product=product, provider="dodo")
    services.confirm_payment(provider="dodo", order_reference=order.reference,
                             provider_payment_id="pay_1", amount=1999, currency="USD")

    response = checkout(buyer_client, product)

    assert response["Location"] == reverse("marketplace:my_products")
    assert api_calls(dodo) == []

