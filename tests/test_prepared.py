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
from tests.test_catalog import titles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _compiled_afresh():
    """Each test starts without compiled queries, so what it finds compiled, it compiled."""
    kept = dict(_prepared)
    _prepared.clear()
    yield
    _prepared.clear()
    _prepared.update(kept)


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


def test_a_query_without_its_placeholder_as_many_parameters_as_said_falls_back(
    make_user, make_product,
):
    """``None`` (the caller uses the ORM) when the placeholder is not exactly
    ``occurrences`` of the SQL's parameters; when it is, every one is bound."""
    field = Order._meta.get_field("amount")
    twice = lambda amount: Order.objects.filter(amount=amount, buyer_id=amount)  # noqa: E731
    assert prepared(("test-twice",), twice, field, 12345) is None
    once = prepared(("test-once",), lambda amount: Order.objects.filter(amount=amount)[:1],
                    field, 12345)
    assert once is not None and once.first(777) is None
    assert prepared(("test-once-said-twice",), lambda amount: Order.objects.filter(
        amount=amount), field, 12345, occurrences=2) is None
    buyer = make_user()
    order = services.start_checkout(buyer=buyer, product=make_product(), provider="dummy")
    both = prepared(("test-twice-said-twice",), twice, field, 12345, occurrences=2)
    assert both is not None
    assert both.all(order.amount) == []  # the amount is not the buyer's id
    Order.objects.filter(pk=order.pk).update(amount=buyer.pk)
    assert [found.pk for found in both.all(buyer.pk)] == [order.pk]


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
    """Compiled once for the unfiltered list and for one category: the same first
    page (and its count) and category choices as the ORM gives; a search and
    several categories use the ORM."""
    from marketplace_core.catalog import facets
    from marketplace_core.catalog.models import Product

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
                                                "products": 15, "categories": 1}]
    other = make_category(seller=seller, name="Other shelf")
    for n in (0, 2):
        Product.objects.get(title=f"Map {n:02}").categories.add(other)
    for slug, expected in (("shelf", [f"Map {n:02}" for n in range(29, 0, -2)]),
                           ("other-shelf", ["Map 02", "Map 00"])):
        filtered = client.get("/products/", {"category": slug}).content.decode()
        assert f'aria-live="polite">{len(expected)} products</p>' in filtered
        assert titles(filtered) == expected[:24]
    both = client.get("/products/?category=shelf&category=other-shelf").content.decode()
    assert 'aria-live="polite">17 products</p>' in both
    assert client.get("/products/", {"category": "no-such"}).content.decode().count(
        "No products match.") == 1
    compiled = {key[:2] for key, query in _prepared.items() if query is not None}
    assert {("first page", "catalog"), ("first page", "catalog category"),
            ("category choices", "default")} <= compiled


@pytest.mark.parametrize("method", ["get_queryset", "listed", "product_rows"])
def test_a_list_view_subclass_with_its_own_queryset_is_not_compiled_away(
    rf, make_seller, make_product, make_category, method,
):
    """A site's ``ProductListView`` that narrows ``get_queryset``, ``listed`` or
    ``product_rows`` shows its own list on page 1, unfiltered and for one category
    (with its count), not the compiled one of core's view, nor core's its."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import caches

    from marketplace_core.catalog.views import ProductListView

    def narrowed(self, *args):  # type: ignore[no-untyped-def]
        return getattr(super(AtlasesOnly, self), method)(*args).filter(
            title__startswith="Atlas")

    AtlasesOnly = type("AtlasesOnly", (ProductListView,), {method: narrowed})

    seller = make_seller()
    shelf = make_category(seller=seller, name="Shelf")
    for title in ("Atlas of tides", "Map of tides", "Atlas of winds"):
        make_product(seller=seller, title=title, content=None).categories.add(shelf)
    for query in ({}, {"category": "shelf"}, {}, {"category": "shelf"}):
        for view in (ProductListView, AtlasesOnly):  # both compiled, then both again
            caches["default"].clear()  # the two views share an address, so a cached page
            request = rf.get("/products/", query)
            request.user = AnonymousUser()
            response = view.as_view()(request)
            html = getattr(response, "rendered_content", None) or response.content.decode()
            assert titles(html) == (["Atlas of winds", "Atlas of tides"] if view is AtlasesOnly
                              else ["Atlas of winds", "Map of tides", "Atlas of tides"])
            count = "2 products" if view is AtlasesOnly else "3 products"
            assert f'aria-live="polite">{count}</p>' in html, (view, query)


@pytest.mark.by_database
def test_a_tuple_placeholder_binds_as_many_values(make_user, make_product):
    """A tuple of stand-ins (an ``IN`` list) runs with a tuple of as many values,
    and refuses another length."""
    buyer = make_user()
    orders = [services.start_checkout(buyer=buyer, product=make_product(), provider="dummy")
              for _ in range(4)]
    field = Order._meta.get_field("id")
    query = prepared(("test-in-list",), lambda ids: Order.objects.filter(pk__in=ids), field,
                     (-1, -2, -3))
    assert query is not None
    wanted = (orders[3].pk, orders[0].pk, orders[2].pk)
    assert sorted(order.pk for order in query.all(wanted)) == sorted(wanted)
    with pytest.raises(ValueError):
        query.all((orders[0].pk,))


@pytest.mark.by_database
def test_a_page_past_the_first_and_a_search_read_their_rows_compiled_once(
    client, make_seller, make_product,
):
    """A full page's rows by id come from a query compiled once, in the list's order,
    sellers joined: page 2 of the catalog and a search's page."""
    seller = make_seller(name="Ada")
    for n in range(50):
        make_product(seller=seller, title=f"Chart {n:02}", content=None)
    html = client.get("/products/", {"q": "chart"}).content.decode()
    assert len(titles(html)) == 24
    assert html.count("by Ada") == 24
    assert any(key[0] == "rows by id" for key in _prepared)  # the search compiled it
    html = client.get("/products/", {"page": 2}).content.decode()
    assert titles(html) == [f"Chart {n:02}" for n in range(25, 1, -1)]
    assert html.count("by Ada") == 24
    compiled = {key[:2] for key, query in _prepared.items() if query is not None}
    assert ("rows by id", "product rows") in compiled
