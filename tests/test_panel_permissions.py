"""Who may open every panel URL: anonymous, customer, seller, other seller.

- Anonymous visitors are sent to log in (the JSON API answers 401).
- Customer pages are open to every logged-in user (sellers buy too), and show
  only the visitor's own rows.
- Seller pages give a customer 403.
- A seller's object pages give another seller 404: objects are looked up
  through their owner, so another seller's ids reveal nothing, and a POST
  changes nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from marketplace_core.catalog.models import Category, Product
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.ownership.models import RefundRequest
from tests.panels_support import logged_in, sell

pytestmark = pytest.mark.django_db

CUSTOMER_PAGES = ["my_products", "order_history"]
SELLER_PAGES = ["seller_dashboard", "seller_products", "seller_product_create",
                "seller_categories", "seller_category_create", "seller_sales",
                "seller_customers", "seller_exports", "seller_discounts",
                "seller_discount_create", "seller_my_products", "seller_order_history"]
PRODUCT_PAGES = ["seller_product_update", "seller_product_delete"]
CATEGORY_PAGES = ["seller_category_update", "seller_category_delete"]
SALE_PAGES = ["seller_sale_detail"]
DISCOUNT_PAGES = ["seller_discount_update", "seller_discount_delete"]
API = "/api/v1/seller/dashboard"


@pytest.fixture
def world(make_user, make_seller, make_product, make_category):
    customer, owner, other = make_user(), make_seller(), make_seller()
    product = make_product(seller=owner, title="Owner's Guide")
    category = make_category(seller=owner, name="Owner's Category")
    order = sell(customer, product)
    code = DiscountCode.objects.create(seller=owner, code="OWNERS", percent=10)
    return {"customer": customer, "owner": owner, "other": other, "product": product,
            "category": category, "order": order, "code": code}


def url(name: str, world: dict | None = None) -> str:
    if name in PRODUCT_PAGES or name == "seller_product_unpublish":
        return reverse(f"marketplace:{name}", kwargs={"pk": world["product"].pk})
    if name in CATEGORY_PAGES:
        return reverse(f"marketplace:{name}", kwargs={"pk": world["category"].pk})
    if name in SALE_PAGES:
        return reverse(f"marketplace:{name}", kwargs={"reference": world["order"].reference})
    if name in DISCOUNT_PAGES:
        return reverse(f"marketplace:{name}", kwargs={"pk": world["code"].pk})
    return reverse(f"marketplace:{name}")


def client_for(world: dict, who: str) -> Client:
    return Client() if who == "anonymous" else logged_in(world[who])


ALL_PAGES = (CUSTOMER_PAGES + SELLER_PAGES + PRODUCT_PAGES + CATEGORY_PAGES + SALE_PAGES
             + DISCOUNT_PAGES)


def expected_status(name: str, who: str) -> int:
    if who == "anonymous":
        return 302
    if name in CUSTOMER_PAGES:
        return 200
    if who == "customer":
        return 403
    if who == "other" and name in PRODUCT_PAGES + CATEGORY_PAGES + SALE_PAGES + DISCOUNT_PAGES:
        return 404
    return 200


@pytest.mark.parametrize("who", ["anonymous", "customer", "owner", "other"])
@pytest.mark.parametrize("name", ALL_PAGES)
def test_get_matrix(world, name, who):
    target = url(name, world)

    response = client_for(world, who).get(target)

    assert response.status_code == expected_status(name, who), (name, who)
    if who == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={target}"


@pytest.mark.parametrize("who", ["anonymous", "customer", "other"])
@pytest.mark.parametrize("name", [*PRODUCT_PAGES, "seller_product_unpublish", *CATEGORY_PAGES,
                                  *SALE_PAGES, *DISCOUNT_PAGES])
def test_posts_to_someone_elses_objects_change_nothing(world, name, who):
    response = client_for(world, who).post(url(name, world), {
        "title": "Hijacked", "price": "0", "currency": "USD", "action": "publish",
        "name": "Hijacked", "amount": "19.99", "code": "HIJACKED", "kind": "percentage",
        "percent": "90",
    })

    assert response.status_code == {"anonymous": 302, "customer": 403, "other": 404}[who]
    product = Product.objects.get(pk=world["product"].pk)
    assert (product.title, product.status) == ("Owner's Guide", Product.Status.PUBLISHED)
    assert Category.objects.get(pk=world["category"].pk).name == "Owner's Category"
    assert not RefundRequest.objects.exists()
    code = DiscountCode.objects.get(pk=world["code"].pk)
    assert (code.code, code.percent, code.is_active) == ("OWNERS", 10, True)


def test_unpublish_is_post_only(world):
    assert logged_in(world["owner"]).get(url("seller_product_unpublish", world)).status_code == 405


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("customer", 403),
                                             ("owner", 200), ("other", 200)])
def test_dashboard_api_matrix(world, who, status):
    response = client_for(world, who).get(API)

    assert response.status_code == status
    if status == 200:
        expected = 1 if who == "owner" else 0
        assert response.json()["total_customers"] == expected


@pytest.mark.smoke
def test_customer_pages_show_only_the_visitors_own_rows(world, make_user):
    stranger = logged_in(make_user())
    for name in CUSTOMER_PAGES:
        assert "Owner&#x27;s Guide" not in stranger.get(url(name)).content.decode()
        assert "Owner&#x27;s Guide" in logged_in(world["customer"]).get(
            url(name)).content.decode()


@pytest.mark.smoke
def test_a_seller_sees_what_they_bought_in_the_seller_panel(world, make_product):
    owner = world["owner"]
    bought = make_product(title="Bought From Another Seller")
    sell(owner, bought)

    client = logged_in(owner)
    purchases = client.get(url("seller_my_products")).content.decode()
    orders = client.get(url("seller_order_history")).content.decode()

    assert "Bought From Another Seller" in purchases and "Owner&#x27;s Guide" not in purchases
    assert "Bought From Another Seller" in orders and "Owner&#x27;s Guide" not in orders
    assert 'aria-label="Seller panel"' in purchases
