"""Hot queries compiled once (``marketplace_core.prepared``): the same rows and
instances as the ORM's, and the ORM when a query does not qualify."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.prepared import _prepared, prepared
from marketplace_core.testing.factories import buy

pytestmark = pytest.mark.django_db


@pytest.mark.by_database
def test_the_locked_order_is_read_as_the_orm_reads_it(make_user, make_product):
    """Compiled (with its EXISTS constants left as they were), it gives the order,
    its ownership annotations and nothing for an unknown reference."""
    buyer = make_user()
    paid = buy(buyer, make_product(title="Atlas")).order
    pending = services.start_checkout(buyer=buyer, product=make_product(title="Tides"),
                                      provider="dummy")
    with transaction.atomic():
        for order, granted in ((paid, True), (pending, False)):
            got = services._locked_order(order.reference, order.provider, with_ownership=True)
            orm = services._orders(True).get(pk=order.pk)
            assert model_to_dict(got) == model_to_dict(orm)
            assert (got.granted_here, got.owned_elsewhere) == (granted, False)
            assert (orm.granted_here, orm.owned_elsewhere) == (granted, False)
            plain = services._locked_order(order.reference, order.provider)
            assert plain.pk == order.pk and not hasattr(plain, "granted_here")
        assert services._locked_order(Order().reference, "dummy") is None
    # Both forms of the query are the compiled ones, not the ORM's fallback.
    compiled = {key[:2] for key, query in _prepared.items() if query is not None}
    assert {("locked_order", True), ("locked_order", False)} <= compiled


def test_a_query_without_its_placeholder_as_one_parameter_falls_back(make_product):
    """``None`` (the caller uses the ORM) when the placeholder is not exactly one
    of the SQL's parameters: here it appears twice."""
    field = Order._meta.get_field("amount")
    assert prepared(("test-twice",), lambda amount: Order.objects.filter(
        amount=amount, buyer_id=amount), field, 12345) is None
    once = prepared(("test-once",), lambda amount: Order.objects.filter(amount=amount)[:1],
                    field, 12345)
    assert once is not None and once.first(777) is None


@pytest.mark.by_database
def test_the_home_and_product_page_queries_read_what_the_orm_reads(client, make_seller,
                                                                   make_product):
    """Compiled once, they give the ORM's rows in its order, sellers joined, and
    leave drafts out (the product page: its seller's preview, others' 404)."""
    from marketplace_core.catalog.models import Product
    from marketplace_core.catalog.views import HomePageView
    from marketplace_core.people.records import person_related
    from marketplace_core.testing.factories import logged_in

    seller = make_seller(name="Ada")
    for n in range(10):
        make_product(seller=seller, title=f"Chart {n}", is_featured=n % 3 == 0)
    draft = make_product(seller=seller, title="Unfinished", status=Product.Status.DRAFT)
    rows = Product.objects.published().select_related(*person_related("seller"))
    for featured, count in ((True, 6), (False, 8)):
        orm = list((rows.filter(is_featured=True) if featured else rows)[:count])
        got = HomePageView.products(featured=featured, count=count)
        assert [model_to_dict(p) for p in got] == [model_to_dict(p) for p in orm]
        assert [p.seller.pk for p in got] == [seller.pk] * len(orm)
    page = client.get(orm[0].get_absolute_url())
    assert page.status_code == 200 and orm[0].title in page.content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/products/no-such-product/").status_code == 404
    assert "Unfinished" in logged_in(seller).get(draft.get_absolute_url()).content.decode()
    compiled = {key[0] for key, query in _prepared.items() if query is not None}
    assert {"home", "product page"} <= compiled


@pytest.mark.by_database
def test_the_catalogs_first_page_and_choices_read_what_the_orm_reads(client, make_seller,
                                                                     make_product,
                                                                     make_category):
    """Compiled once for the unfiltered list: the same first page (and its count)
    and category choices as the ORM gives; a filtered list uses the ORM."""
    from marketplace_core.catalog import facets

    seller = make_seller()
    shelf = make_category(seller=seller, name="Shelf")
    for n in range(30):
        product = make_product(seller=seller, title=f"Map {n:02}", content=None)
        if n % 2:
            product.categories.add(shelf)
    html = client.get("/products/").content.decode()
    assert 'aria-live="polite">30 products</p>' in html
    assert [f"Map {n:02}" for n in range(29, 5, -1)] == re.findall(r">(Map \d\d)</a>", html)
    assert 'value="shelf"' in html and "(15)" in html
    assert list(facets.category_choices()) == [{"slug": "shelf", "label": "Shelf",
                                                "products": 15}]
    filtered = client.get("/products/", {"category": "shelf"}).content.decode()
    assert 'aria-live="polite">15 products</p>' in filtered
    compiled = {key[0] for key, query in _prepared.items() if query is not None}
    assert {"first page", "category choices"} <= compiled
