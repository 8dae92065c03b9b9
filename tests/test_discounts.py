"""Discount codes as sellers and buyers meet them: the seller's pages, the
checkout's code field and HTMX total, the order's amounts, and how expiry and
failure give a use back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from marketplace_core.discounts import services as discounts
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order

pytestmark = pytest.mark.django_db

BILLING = {"name": "Ada Buyer", "email": "ada@example.org", "country": "DE"}


@pytest.fixture
def seller(make_seller):
    return make_seller(email="sam@example.com")


@pytest.fixture
def product(make_product, seller):
    return make_product(seller=seller, title="Field Guide", price=2000, currency="USD")


@pytest.fixture
def buyer(make_user):
    return make_user(email="ada@example.com", name="Ada Buyer")


def make_code(seller, code="SAVE10", **fields) -> DiscountCode:
    fields.setdefault("percent", 10 if fields.get("kind", "percentage") == "percentage" else None)
    products = fields.pop("products", [])
    made = DiscountCode.objects.create(seller=seller, code=code, **fields)
    made.products.set(products)
    return made


def checkout(buyer, product, code=""):
    return services.start_checkout(buyer=buyer, product=product, provider="dummy",
                                   discount_code=code)


# --- the model -------------------------------------------------------------


def test_codes_are_stored_upper_case_and_unique_per_seller_in_any_case(seller, make_seller):
    assert make_code(seller, " save10 ").code == "SAVE10"
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountCode.objects.filter(pk=make_code(seller, "OTHER").pk).update(code="save10")
    assert make_code(make_seller(), "save10").code == "SAVE10"  # another seller's: fine


def test_a_code_holds_either_a_percentage_or_a_fixed_amount_with_currency(seller):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountCode.objects.create(seller=seller, code="BAD", percent=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountCode.objects.create(seller=seller, code="BAD", kind="fixed", amount=500)


def test_percentages_round_the_amount_off_down_and_fixed_amounts_stop_at_zero(seller):
    assert make_code(seller, "P15", percent=15).discounted(999) == 850
    assert make_code(seller, "F5", kind="fixed", amount=500, currency="USD",
                     percent=None).discounted(300) == 0


# --- checking a code at checkout ------------------------------------------


def test_a_valid_code_discounts_the_order_and_keeps_the_list_price(seller, product, buyer):
    code = make_code(seller, "SAVE10", percent=25)

    order = checkout(buyer, product, "save10")

    assert (order.amount, order.list_amount, order.discount_code) == (1500, 2000, code)
    assert order.discount == 500
    assert discounts.redemptions(code).count() == 1


def test_a_fixed_code_only_applies_in_its_currency(seller, make_product, buyer):
    make_code(seller, "FIVE", kind="fixed", amount=500, currency="EUR", percent=None)
    euros = make_product(seller=seller, price=2000, currency="EUR")
    dollars = make_product(seller=seller, price=2000, currency="USD")

    assert checkout(buyer, euros, "five").amount == 1500
    with pytest.raises(Rejected) as refused:
        checkout(buyer, dollars, "five")
    assert refused.value.message == discounts.NOT_VALID


@pytest.mark.parametrize(("fields", "message"), [
    ({"is_active": False}, "This code is no longer active."),
    ({"ends_at": timezone.now() - timedelta(days=1)}, "This code has expired."),
    ({"percent": 100}, "This code would make the price zero"),
])
def test_codes_that_cannot_be_used_say_why(seller, product, buyer, fields, message):
    make_code(seller, "SAVE10", **fields)

    with pytest.raises(Rejected) as refused:
        checkout(buyer, product, "SAVE10")

    assert refused.value.message.startswith(message)
    assert not Order.objects.exists()


def test_a_code_not_started_yet_says_when_it_starts(seller, product, buyer):
    make_code(seller, "SOON", starts_at=timezone.now() + timedelta(days=2))

    with pytest.raises(Rejected, match="This code can be used from"):
        checkout(buyer, product, "SOON")


def test_unknown_other_sellers_and_other_products_codes_get_the_same_answer(
        seller, product, buyer, make_seller, make_product):
    make_code(make_seller(), "THEIRS")
    make_code(seller, "OTHERPRODUCT", products=[make_product(seller=seller)])
    answers = set()
    for text in ("NOSUCH", "THEIRS", "OTHERPRODUCT"):
        with pytest.raises(Rejected) as refused:
            checkout(buyer, product, text)
        answers.add(refused.value.message)
    assert answers == {"This code is not valid for this product."}


def test_a_used_up_code_and_a_second_use_by_one_buyer_are_refused(
        seller, product, make_product, make_user, buyer):
    make_code(seller, "ONCE", usage_limit=1)
    make_code(seller, "MINE", once_per_buyer=True)
    checkout(buyer, product, "ONCE")
    checkout(buyer, make_product(seller=seller), "MINE")

    with pytest.raises(Rejected, match="This code has been used up"):
        checkout(make_user(), product, "ONCE")
    with pytest.raises(Rejected, match="You have already used this code"):
        checkout(buyer, make_product(seller=seller), "MINE")


def test_a_reused_open_order_takes_the_new_code_or_drops_the_old_one(seller, product, buyer):
    make_code(seller, "ONCE", usage_limit=1, percent=50)

    first = checkout(buyer, product, "ONCE")
    again = checkout(buyer, product, "ONCE")  # the same open order: not a second use
    plain = checkout(buyer, product)

    assert first.pk == again.pk == plain.pk
    assert again.amount == 1000
    assert (plain.amount, plain.discount_code, plain.list_amount) == (2000, None, 2000)


def test_expiry_and_failure_give_the_use_back_and_a_paid_order_keeps_it(
        settings, seller, product, make_user):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PENDING_ORDER_TTL": 60}
    code = make_code(seller, "ONCE", usage_limit=1)
    abandoned = checkout(make_user(), product, "ONCE")
    Order.objects.filter(pk=abandoned.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert services.expire_pending_orders() == 1

    failed = checkout(make_user(), product, "ONCE")  # the expired order's use is free again
    services.record_payment_failure(provider="dummy", order_reference=failed.reference,
                                    provider_payment_id="pay_failed")
    paid = checkout(make_user(), product, "ONCE")  # and so is the failed one's
    assert services.confirm_payment(provider="dummy", order_reference=paid.reference,
                                    provider_payment_id="pay_ok", amount=paid.amount,
                                    currency="USD") == services.Outcome.CONFIRMED

    with pytest.raises(Rejected, match="used up"):
        checkout(make_user(), product, "ONCE")
    assert list(discounts.redemptions(code)) == [paid]


def test_a_paid_discounted_order_is_refunded_in_full_by_its_discounted_amount(
        seller, product, buyer):
    make_code(seller, "HALF", percent=50)
    order = checkout(buyer, product, "HALF")
    services.confirm_payment(provider="dummy", order_reference=order.reference,
                             provider_payment_id="pay_1", amount=1000, currency="USD")

    outcome = services.record_refund(provider="dummy", order_reference=order.reference,
                                     provider_refund_id="re_1", amount=1000, currency="USD")

    assert outcome == services.Outcome.REFUNDED


# --- the checkout page ----------------------------------------------------


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


def test_the_htmx_preview_shows_the_new_total_and_takes_no_use(seller, product, buyer_client):
    code = make_code(seller, "SAVE10", percent=25)
    url = reverse("marketplace:checkout", args=[product.slug])

    response = buyer_client.post(url, {"discount_code": "save10", "apply_discount": "1"},
                                 headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="checkout-total"' in html and "<form" not in html  # the fragment only
    assert "$15.00" in html and "\N{MINUS SIGN}$5.00" in html and "Code SAVE10" in html
    assert not discounts.redemptions(code).exists()


def test_the_preview_says_why_a_code_is_refused(seller, product, buyer_client):
    url = reverse("marketplace:checkout", args=[product.slug])

    response = buyer_client.post(url, {"discount_code": "NOPE", "apply_discount": "1"},
                                 headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "This code is not valid for this product." in html
    assert "$20.00" in html


def test_without_javascript_apply_shows_the_page_with_the_total(seller, product, buyer_client):
    make_code(seller, "SAVE10", percent=25)
    url = reverse("marketplace:checkout", args=[product.slug])

    response = buyer_client.post(url, {**BILLING, "discount_code": "SAVE10",
                                       "apply_discount": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Continue to payment" in html and "$15.00" in html
    assert 'value="Ada Buyer"' in html and "errorlist" not in html
    assert not Order.objects.exists()


def test_paying_with_a_code_sends_the_buyer_to_pay_the_discounted_amount(
        seller, product, buyer, buyer_client):
    make_code(seller, "SAVE10", percent=25)

    response = buyer_client.post(reverse("marketplace:checkout", args=[product.slug]),
                                 {**BILLING, "discount_code": "save10"})

    assert response.status_code == 302
    order = Order.objects.get(buyer=buyer)
    assert (order.amount, order.list_amount, order.discount_code.code) == (1500, 2000, "SAVE10")
    page = buyer_client.get(response.url)
    assert "$15.00" in page.content.decode()


def test_a_refused_code_at_payment_keeps_the_form_and_makes_no_order(
        seller, product, buyer_client):
    make_code(seller, "OLD", is_active=False)

    response = buyer_client.post(reverse("marketplace:checkout", args=[product.slug]),
                                 {**BILLING, "discount_code": "old"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "This code is no longer active." in html and 'value="old"' in html
    assert not Order.objects.exists()


def test_wrong_codes_from_one_address_are_limited(settings, seller, product, buyer_client):
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"discount_code_failures": "3/h"}}
    make_code(seller, "REAL", percent=25)
    url = reverse("marketplace:checkout", args=[product.slug])
    for guess in ("A1", "A2", "A3"):
        buyer_client.post(url, {"discount_code": guess, "apply_discount": "1"},
                          headers={"HX-Request": "true"})

    response = buyer_client.post(url, {"discount_code": "REAL", "apply_discount": "1"},
                                 headers={"HX-Request": "true"})

    assert "Too many wrong codes" in response.content.decode()
    assert "$15.00" not in response.content.decode()


def test_guests_use_codes_and_once_per_buyer_counts_their_address(
        settings, seller, product, client, make_product):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "GUEST_CHECKOUT": True}
    make_code(seller, "MINE", once_per_buyer=True, percent=25)
    guest = {**BILLING, "email": "guest@example.org", "discount_code": "MINE"}

    first = client.post(reverse("marketplace:checkout", args=[product.slug]), guest)
    other = make_product(seller=seller, price=2000)
    second = client.post(reverse("marketplace:checkout", args=[other.slug]), guest)

    assert first.status_code == 302
    assert Order.objects.get().amount == 1500
    assert second.status_code == 400
    assert "You have already used this code." in second.content.decode()


# --- the seller's pages ---------------------------------------------------


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def test_the_seller_creates_a_code_and_sees_its_uses(seller, product, seller_client, buyer):
    response = seller_client.post(reverse("marketplace:seller_discount_create"), {
        "code": "spring-25", "kind": "percentage", "percent": "25", "products": [product.pk],
        "usage_limit": "10", "is_active": "on"})
    assert response.status_code == 302
    code = DiscountCode.objects.get(seller=seller)
    assert (code.code, code.percent, list(code.products.all())) == ("SPRING-25", 25, [product])
    checkout(buyer, product, "spring-25")

    page = seller_client.get(reverse("marketplace:seller_discounts")).content.decode()

    assert "SPRING-25" in page and "1 / 10" in page and "Field Guide" in page
    assert "Discounts" in page  # the sidebar's item


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"code": "save10"}, "code", "You already have this code."),
    ({"code": "no spaces"}, "code", "Use letters, digits, hyphens and underscores only."),
    ({"percent": "0"}, "percent", "Enter a percentage from 1 to 100."),
    ({"percent": ""}, "percent", "Enter the percent off."),
    ({"kind": "fixed", "percent": "", "amount_off": "5"}, "currency",
     "A fixed amount needs its currency."),
    ({"kind": "fixed", "currency": "USD", "amount_off": "5.001"}, "amount_off",
     "USD amounts have at most 2 decimal places."),
    ({"starts_at": "2030-01-02T10:00", "ends_at": "2030-01-01T10:00"}, "ends_at",
     "The end must come after the start."),
])
def test_the_code_form_explains_each_mistake(seller, seller_client, data, field, message):
    make_code(seller, "SAVE10")
    form = {"code": "NEW", "kind": "percentage", "percent": "10", "is_active": "on", **data}

    response = seller_client.post(reverse("marketplace:seller_discount_create"), form)

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]


def test_a_fixed_code_cannot_name_a_product_in_another_currency(
        seller, seller_client, make_product):
    euros = make_product(seller=seller, title="Euro Guide", currency="EUR")
    response = seller_client.post(reverse("marketplace:seller_discount_create"), {
        "code": "FIVE", "kind": "fixed", "amount_off": "5", "currency": "USD",
        "products": [euros.pk], "is_active": "on"})

    assert "Euro Guide" in response.context["form"].errors["products"][0]


def test_another_sellers_code_is_not_found(seller_client, make_seller):
    theirs = make_code(make_seller(), "THEIRS")
    for name in ("seller_discount_update", "seller_discount_delete"):
        assert seller_client.get(reverse(f"marketplace:{name}", args=[theirs.pk])
                                 ).status_code == 404
    assert seller_client.post(reverse("marketplace:seller_discount_delete", args=[theirs.pk])
                              ).status_code == 404
    assert DiscountCode.objects.filter(pk=theirs.pk, is_active=True).exists()


def test_deleting_an_unused_code_deletes_it_and_a_used_one_is_deactivated(
        seller, product, buyer, seller_client):
    unused = make_code(seller, "UNUSED")
    used = make_code(seller, "USED")
    checkout(buyer, product, "USED")

    for code in (unused, used):
        seller_client.post(reverse("marketplace:seller_discount_delete", args=[code.pk]))

    assert not DiscountCode.objects.filter(pk=unused.pk).exists()
    used.refresh_from_db()
    assert not used.is_active
    assert Order.objects.get().discount_code == used


def test_the_list_counts_queries_once_for_any_number_of_codes(
        seller, product, seller_client, django_assert_max_num_queries):
    for n in range(20):
        make_code(seller, f"CODE{n}", products=[product])
    with django_assert_max_num_queries(12):
        assert seller_client.get(reverse("marketplace:seller_discounts")).status_code == 200


def test_the_order_history_shows_the_code_and_what_it_took_off(
        seller, product, buyer, buyer_client, django_assert_max_num_queries):
    make_code(seller, "SAVE10", percent=25)
    checkout(buyer, product, "SAVE10")

    with django_assert_max_num_queries(6):
        html = buyer_client.get(reverse("marketplace:order_history")).content.decode()

    assert "$15.00" in html and "code SAVE10: \N{MINUS SIGN}$5.00" in html


def test_staff_see_codes_in_the_admin_read_only(client, seller, make_user):
    code = make_code(seller, "STAFFSEE")
    client.force_login(make_user(email="staff@example.com", is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:marketplace_core_discountcode_changelist"))
    detail = client.get(reverse("admin:marketplace_core_discountcode_change", args=[code.pk]))

    assert listing.status_code == 200 and "STAFFSEE" in listing.content.decode()
    assert detail.status_code == 200 and 'name="percent"' not in detail.content.decode()
    assert client.get(reverse("admin:marketplace_core_discountcode_add")).status_code == 403
