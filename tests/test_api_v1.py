"""The API v1's resources for a key's seller: products, categories, orders, refunds,
customers and discount codes; cursor pagination; the error body; query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace_core.catalog.models import Category, Product
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.ownership.models import Order, RefundRequest
from marketplace_core.testing.factories import make_product, make_seller, make_user
from tests.api_support import key_client
from tests.panels_support import sell
from tests.refund_support import desk, paid_order  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "No such product.", "code": "not_found"}


@pytest.fixture
def seller():
    return make_seller()


@pytest.fixture
def api(seller):
    return key_client(seller, "write")


# --- products -------------------------------------------------------------------


def test_a_product_is_created_as_a_draft_through_the_panels_rules(api, seller):
    category = Category.objects.create(seller=seller, name="Guides", slug="guides")

    created = api.post("/api/v1/products", {"title": "Field Guide", "price": "19.99",
                                            "currency": "eur", "categories": [category.pk]})

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["title"], body["price"], body["price_minor"], body["currency"],
            body["status"], body["categories"]) == (
        "Field Guide", "19.99", 1999, "EUR", "draft", [category.pk])
    assert body["slug"] == "field-guide"
    assert Product.objects.get(pk=body["id"]).seller == seller


def test_invalid_product_input_is_422_with_field_errors(api):
    response = api.post("/api/v1/products", {"title": "Guide", "price": "1.999",
                                             "currency": "XXQ"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {error["field"] for error in body["errors"]} == {"currency"}
    missing = api.post("/api/v1/products", {"price": "1"}).json()
    assert missing["code"] == "invalid" and missing["errors"][0]["field"] == "title"


def test_another_sellers_category_is_refused(api):
    foreign = Category.objects.create(seller=make_seller(), name="Theirs", slug="theirs")

    response = api.post("/api/v1/products", {"title": "Guide", "price": "5",
                                             "categories": [foreign.pk]})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "categories"


def test_publishing_needs_a_file_then_upload_publish_and_unpublish(api):
    product_id = api.post("/api/v1/products", {"title": "Guide", "price": "5"}).json()["id"]

    refused = api.post(f"/api/v1/products/{product_id}/publish")
    uploaded = api.post(f"/api/v1/products/{product_id}/file",
                        {"file": SimpleUploadedFile("guide v2.pdf", b"%PDF-1.4 guide\n")},
                        json=False)
    published = api.post(f"/api/v1/products/{product_id}/publish")
    unpublished = api.post(f"/api/v1/products/{product_id}/unpublish")

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "file_required"
    assert uploaded.status_code == 200, uploaded.json()
    assert (uploaded.json()["file_name"], uploaded.json()["file_size"]) == ("guide v2.pdf", 15)
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] is not None
    assert unpublished.json()["status"] == "draft"


def test_an_empty_upload_is_refused_by_the_storage_checks(api, seller):
    product = make_product(seller=seller, status=Product.Status.DRAFT)

    response = api.post(f"/api/v1/products/{product.pk}/file",
                        {"file": SimpleUploadedFile("empty.pdf", b"")}, json=False)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_update_changes_only_the_given_fields_and_keeps_a_product_published(api, seller):
    product = make_product(seller=seller, title="Old", price=500, currency="USD")

    response = api.patch(f"/api/v1/products/{product.pk}", {"title": "New"})

    assert response.status_code == 200, response.json()
    product.refresh_from_db()
    assert (product.title, product.price, product.status) == ("New", 500, "published")


def test_another_sellers_product_is_a_404_like_a_missing_one(api):
    theirs = make_product(seller=make_seller())

    answers = [api.get(f"/api/v1/products/{theirs.pk}"),
               api.patch(f"/api/v1/products/{theirs.pk}", {"title": "Mine"}),
               api.post(f"/api/v1/products/{theirs.pk}/unpublish"),
               api.get("/api/v1/products/999999")]

    assert {answer.status_code for answer in answers} == {404}
    assert all(answer.json() == NOT_FOUND for answer in answers)
    theirs.refresh_from_db()
    assert theirs.status == "published"


def test_the_list_filters_by_status_and_shows_only_the_sellers_products(api, seller):
    draft = make_product(seller=seller, status=Product.Status.DRAFT)
    make_product(seller=seller)
    make_product(seller=make_seller())

    everything = api.get("/api/v1/products").json()["items"]
    drafts = api.get("/api/v1/products", {"status": "draft"}).json()["items"]

    assert len(everything) == 2
    assert [item["id"] for item in drafts] == [draft.pk]


# --- pagination -----------------------------------------------------------------


def test_cursor_pages_are_stable_when_products_are_added_meanwhile(api, seller):
    ids = [make_product(seller=seller, content=None).pk for _ in range(7)]

    first = api.get("/api/v1/products", {"limit": 3}).json()
    make_product(seller=seller, content=None)  # newer: belongs before the first page
    second = api.get("/api/v1/products", {"limit": 3, "cursor": first["next_cursor"]}).json()
    third = api.get("/api/v1/products", {"limit": 3, "cursor": second["next_cursor"]}).json()

    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert seen == list(reversed(ids))
    assert third["next_cursor"] is None


@pytest.mark.parametrize("params,status,code", [
    ({"limit": 0}, 422, "invalid"), ({"limit": 101}, 422, "invalid"),
    ({"cursor": "made-up"}, 400, "invalid_cursor"),
])
def test_bad_paging_parameters_are_4xx_with_the_error_body(api, params, status, code):
    response = api.get("/api/v1/products", params)

    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize("path,make", [
    ("/api/v1/products", lambda seller, n: [make_product(seller=seller, content=None)
                                            for _ in range(n)]),
    ("/api/v1/orders", lambda seller, n: [sell(make_user(), make_product(seller=seller))
                                          for _ in range(n)]),
    ("/api/v1/customers", lambda seller, n: [sell(make_user(), make_product(seller=seller))
                                             for _ in range(n)]),
    ("/api/v1/discount-codes", lambda seller, n: [
        DiscountCode.objects.create(seller=seller, code=f"C{DiscountCode.objects.count()}",
                                    percent=10).products.add(make_product(seller=seller))
        for _ in range(n)]),
    ("/api/v1/categories", lambda seller, n: [
        Category.objects.create(seller=seller, name=f"C{Category.objects.count()}",
                                slug=f"c{Category.objects.count()}") for _ in range(n)]),
])
def test_a_page_costs_the_same_queries_whatever_the_catalog_size(
        api, seller, path, make, django_assert_max_num_queries):
    make(seller, 3)
    api.get(path)  # warm: the key's last use is written once a minute
    with django_assert_max_num_queries(6):
        small = api.get(path, {"limit": 2})
    make(seller, 12)
    with django_assert_max_num_queries(6):
        large = api.get(path, {"limit": 10})

    assert len(small.json()["items"]) == 2 and len(large.json()["items"]) == 10


# --- categories -----------------------------------------------------------------


def test_categories_list_and_create_with_the_panels_name_rule(api, seller):
    Category.objects.create(seller=seller, name="Guides", slug="guides")
    Category.objects.create(seller=make_seller(), name="Other", slug="other")

    created = api.post("/api/v1/categories", {"name": "Templates"})
    duplicate = api.post("/api/v1/categories", {"name": "guides"})
    names = [item["name"] for item in api.get("/api/v1/categories").json()["items"]]

    assert created.status_code == 201 and created.json()["slug"] == "templates"
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["code"] == "name_taken"
    assert names == ["Templates", "Guides"]


# --- orders, refunds, customers -------------------------------------------------


def test_orders_are_filtered_by_status_product_and_creation_time(api, seller):
    guide, course = make_product(seller=seller), make_product(seller=seller)
    past = timezone.now() - dt.timedelta(days=10)
    old = sell(make_user(), guide, at=past)
    paid = sell(make_user(), course)
    sell(make_user(), make_product(seller=make_seller()))  # another shop's

    every = api.get("/api/v1/orders").json()["items"]
    by_product = api.get("/api/v1/orders", {"product": guide.pk}).json()["items"]
    recent = api.get("/api/v1/orders", {
        "created_from": (past + dt.timedelta(days=1)).isoformat()}).json()["items"]
    pending = api.get("/api/v1/orders", {"status": "pending"}).json()["items"]

    assert [o["reference"] for o in every] == [str(paid.reference), str(old.reference)]
    assert [o["reference"] for o in by_product] == [str(old.reference)]
    assert [o["reference"] for o in recent] == [str(paid.reference)]
    assert pending == []
    assert every[0]["buyer_email"] == paid.buyer.email and every[0]["status"] == "paid"


def test_another_sellers_order_is_a_404(api):
    theirs = sell(make_user(), make_product(seller=make_seller()))

    response = api.get(f"/api/v1/orders/{theirs.reference}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such order.", "code": "not_found"}


def test_a_refund_is_started_through_the_refund_service(desk, api, seller):  # noqa: F811
    order = paid_order(make_user(), make_product(seller=seller, price=2000, currency="USD"))

    too_much = api.post(f"/api/v1/orders/{order.reference}/refunds", {"amount": 5000})
    started = api.post(f"/api/v1/orders/{order.reference}/refunds",
                       {"amount": 500, "reason": "Asked nicely"})
    listed = api.get("/api/v1/refunds").json()["items"]

    assert too_much.status_code == 409 and too_much.json()["code"] == "too_much"
    assert started.status_code == 201, started.json()
    assert (started.json()["amount"], started.json()["order_reference"]) == (
        500, str(order.reference))
    assert [item["reference"] for item in listed] == [started.json()["reference"]]
    assert RefundRequest.objects.get().requested_by == seller


def test_refunding_another_sellers_order_is_a_404_and_records_nothing(desk, api):  # noqa: F811
    theirs = paid_order(make_user(), make_product(seller=make_seller()))

    response = api.post(f"/api/v1/orders/{theirs.reference}/refunds", {"amount": 100})

    assert response.status_code == 404
    assert not RefundRequest.objects.exists()
    assert Order.objects.get(pk=theirs.pk).status == "paid"


def test_customers_show_purchases_and_totals_per_currency(api, seller):
    buyer = make_user(name="Ada")
    sell(buyer, make_product(seller=seller, price=1000, currency="USD"))
    sell(buyer, make_product(seller=seller, price=500, currency="USD"))
    sell(make_user(), make_product(seller=make_seller()))

    [customer] = api.get("/api/v1/customers").json()["items"]

    assert (customer["email"], customer["purchases"]) == (buyer.email, 2)
    assert customer["totals"] == [{"currency": "USD", "paid": 1500, "refunded": 0}]


# --- discount codes -------------------------------------------------------------


def test_discount_codes_crud_with_the_panels_rules(api, seller):
    product = make_product(seller=seller, currency="USD")

    created = api.post("/api/v1/discount-codes", {
        "code": "spring", "kind": "fixed", "amount_off": "5", "currency": "usd",
        "products": [product.pk]})
    code_id = created.json()["id"]
    invalid = api.post("/api/v1/discount-codes", {"code": "big", "percent": 150})
    taken = api.post("/api/v1/discount-codes", {"code": "SPRING", "percent": 10})
    changed = api.patch(f"/api/v1/discount-codes/{code_id}", {"usage_limit": 3})
    listed = api.get("/api/v1/discount-codes").json()["items"]
    deleted = api.delete(f"/api/v1/discount-codes/{code_id}")

    assert created.status_code == 201, created.json()
    assert (created.json()["code"], created.json()["amount_off"],
            created.json()["products"]) == ("SPRING", "5.00", [product.pk])
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0] == {"field": "percent", "code": "percent_range",
                                           "message": "Enter a percentage from 1 to 100."}
    assert taken.status_code == 422 and taken.json()["errors"][0]["code"] == "code_taken"
    assert changed.json()["usage_limit"] == 3
    assert [item["code"] for item in listed] == ["SPRING"]
    assert deleted.json() == {"deleted": True}
    assert not DiscountCode.objects.exists()


def test_another_sellers_code_is_a_404(api):
    theirs = DiscountCode.objects.create(seller=make_seller(), code="THEIRS", percent=10)

    answers = [api.get(f"/api/v1/discount-codes/{theirs.pk}"),
               api.delete(f"/api/v1/discount-codes/{theirs.pk}")]

    assert [answer.status_code for answer in answers] == [404, 404]
    assert DiscountCode.objects.filter(pk=theirs.pk).exists()


# --- the error body everywhere --------------------------------------------------


def test_unknown_paths_and_methods_answer_with_the_error_body(api):
    missing = api.get("/api/v1/nothing-here")
    not_allowed = api.client.put("/api/v1/products", headers=api._headers(None))
    malformed = api.client.post("/api/v1/products", "{not json",
                                content_type="application/json", headers=api._headers(None))

    assert (missing.status_code, missing.json()) == (
        404, {"detail": "Not found.", "code": "not_found"})
    assert not_allowed.status_code == 405
    assert not_allowed.json()["code"] == "method_not_allowed"
    assert malformed.status_code in (400, 422) and "code" in malformed.json()


def test_the_schema_declares_both_key_schemes_and_the_session(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert set(schema["components"]["securitySchemes"]) == {
        "ApiKeyBearer", "ApiKeyHeader", "SessionAuth"}
    security = schema["paths"]["/api/v1/products"]["post"]["security"]
    assert {"ApiKeyBearer": []} in security and {"ApiKeyHeader": []} in security
    assert client.get("/api/v1/docs").status_code == 200


def test_ids_beyond_64_bits_are_422_not_a_server_error(api):
    huge = 2**70

    answers = [api.get(f"/api/v1/products/{huge}"),
               api.post("/api/v1/products", {"title": "Guide", "price": "5",
                                             "categories": [huge]}),
               api.get("/api/v1/orders", {"product": huge})]

    assert [answer.status_code for answer in answers] == [422, 422, 422]
    assert all(answer.json()["code"] == "invalid" for answer in answers)
