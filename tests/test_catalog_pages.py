"""Storefront pages at catalog scale: forgiving page numbers, a count that stops at a
window, and a fixed number of queries per page whatever the catalog's size."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace_core.catalog import facets, versions
from marketplace_core.catalog.models import Category, Product
from marketplace_core.testing.factories import buy, logged_in
from tests.test_catalog import titles

pytestmark = pytest.mark.django_db


def bulk_products(seller, count: int, *, category: Category | None = None,
                  word: str = "Poster") -> list[Product]:
    """``count`` published products, oldest first, inserted in one go (as a large
    catalog's import would), then counted into the facets."""
    start = Product.objects.count()
    products = Product.objects.bulk_create(
        Product(seller=seller, title=f"{word} {start + i}", slug=f"bulk-{start + i}",
                description="Printable", price=100, status=Product.Status.PUBLISHED)
        for i in range(count)
    )
    if category is not None:
        Product.categories.through.objects.bulk_create(
            Product.categories.through(product_id=p.pk, category_id=category.pk)
            for p in products
        )
    facets.recount_all()
    versions.bump_after_commit()  # bulk writes send no signals: the page cache
    return products


def page_line(html: str) -> str:
    match = re.search(r'<span aria-current="page">([^<]+)</span>', html)
    return match.group(1) if match else ""


def result_count(html: str) -> str:
    match = re.search(r'<p class="result-count"[^>]*>([^<]+)</p>', html)
    assert match
    return match.group(1).strip()


# ---------------------------------------------------------------------------
# page numbers
# ---------------------------------------------------------------------------


@pytest.fixture
def thirty(make_seller) -> list[Product]:
    return bulk_products(make_seller(), 30)


@pytest.mark.parametrize("page", ["abc", "", "0", "-3", "1.5", "9" * 40])
def test_a_page_number_that_is_not_one_shows_page_one(client, thirty, page):
    newest_first = [p.title for p in reversed(thirty)]
    response = client.get("/products/", {"page": page})
    assert response.status_code == 200
    html = response.content.decode()
    if page == "9" * 40:  # a number, far past the end: the last page
        assert titles(html) == newest_first[24:]
        assert page_line(html) == "Page 2 of 2"
    else:
        assert titles(html) == newest_first[:24]
        assert page_line(html) == "Page 1 of 2"


def test_a_page_past_the_end_shows_the_last_page(client, thirty):
    html = client.get("/products/", {"page": 9}).content.decode()
    assert titles(html) == [p.title for p in reversed(thirty)][24:]
    assert page_line(html) == "Page 2 of 2"
    assert result_count(html) == "30 products"
    assert 'rel="prev"' in html and 'rel="next"' not in html


def test_an_empty_list_is_one_empty_page(client):
    response = client.get("/products/", {"page": 5, "q": "nothing"})
    assert response.status_code == 200
    assert result_count(response.content.decode()).startswith("0 products")


# ---------------------------------------------------------------------------
# the count stops at a window
# ---------------------------------------------------------------------------


@pytest.mark.by_database
def test_a_long_list_says_more_than_and_deep_pages_work(client, make_seller):
    products = bulk_products(make_seller(), 1030)
    newest_first = [p.title for p in reversed(products)]
    first = client.get("/products/").content.decode()
    # The count stops at 42 pages of 24 (at least 1,000 products).
    assert result_count(first) == "More than 1008 products"
    assert page_line(first) == "Page 1 of more than 42"
    assert titles(first) == newest_first[:24]

    # Page 40 counts ten pages further: the end is in sight, the count exact.
    fortieth = client.get("/products/", {"page": 40}).content.decode()
    assert titles(fortieth) == newest_first[39 * 24: 40 * 24]
    assert result_count(fortieth) == "1030 products"
    assert page_line(fortieth) == "Page 40 of 43"

    for page in (43, 44, 500):
        last = client.get("/products/", {"page": page}).content.decode()
        assert titles(last) == newest_first[42 * 24:]
        assert page_line(last) == "Page 43 of 43"


@pytest.mark.by_database
def test_a_long_search_says_more_than(client, make_seller):
    seller = make_seller()
    bulk_products(seller, 1010, word="Poster")
    bulk_products(seller, 5, word="Sticker")
    html = client.get("/products/", {"q": "poster"}).content.decode()
    assert result_count(html) == "More than 1008 products for “poster”"
    assert len(titles(html)) == 24
    html = client.get("/products/", {"q": "sticker"}).content.decode()
    assert result_count(html) == "5 products for “sticker”"


@pytest.mark.by_database
def test_a_category_says_its_exact_count_from_the_kept_facets(
    client, make_seller, make_category, django_assert_num_queries,
):
    """A category's count comes from its facet, exact however long the list, and
    costs no query of its own: page 1 is the category choices and the page; a page
    far past the end is the last page at once (the choices, its ids, their rows)."""
    seller = make_seller()
    shelf = make_category(seller=seller, name="Shelf")
    products = bulk_products(seller, 1030, category=shelf)
    bulk_products(seller, 40)  # not in the category
    newest_first = [p.title for p in reversed(products)]
    with django_assert_num_queries(2):
        first = client.get("/products/", {"category": "shelf"}).content.decode()
    assert result_count(first) == "1030 products"
    assert page_line(first) == "Page 1 of 43"
    assert titles(first) == newest_first[:24]
    for page in (43, 500):
        versions.bump_catalog_version()  # rendered afresh, not from the page cache
        with django_assert_num_queries(3):
            last = client.get("/products/", {"category": "shelf", "page": page}).content.decode()
        assert titles(last) == newest_first[42 * 24:]
        assert page_line(last) == "Page 43 of 43"


def test_a_slug_no_category_has_lists_nothing_without_reading_products(
    client, make_seller, make_category, make_product,
):
    """A slug no category has is an empty list known without reading a product (it
    once walked the whole newest-first list probing every product's links); a
    category whose products are all drafts is empty too, found by counting."""
    seller = make_seller()
    drafts = make_category(seller=seller, name="Drafts")
    make_product(seller=seller, title="Unfinished", status=Product.Status.DRAFT,
                 content=None).categories.add(drafts)
    make_product(seller=seller, title="On sale", content=None)
    for query in ({"category": "no-such-slug"},
                  {"category": ["other-slug", "no-such-slug"], "page": 3},
                  {"category": "drafts"}):
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/products/", query).content.decode()
        assert result_count(html) == "0 products"
        assert titles(html) == []
        read = [q for q in queries if "marketplace_core_product" in q["sql"]]
        assert bool(read) == (query["category"] == "drafts"), query


def test_a_category_whose_kept_count_a_bulk_write_left_stale_still_lists_its_products(
    client, make_seller, make_category,
):
    """Products and links written in bulk without the recount the facets ask for: the
    filter offers no count for the category, but its page still lists them (a slug no
    category has is the empty list known without reading products)."""
    seller = make_seller()
    shelf = make_category(seller=seller, name="Shelf")
    products = Product.objects.bulk_create(
        Product(seller=seller, title=f"Print {i}", slug=f"print-{i}", price=100,
                status=Product.Status.PUBLISHED) for i in range(3))
    Product.categories.through.objects.bulk_create(
        Product.categories.through(product_id=p.pk, category_id=shelf.pk) for p in products)
    versions.bump_catalog_version()
    html = client.get("/products/", {"category": "shelf"}).content.decode()
    assert result_count(html) == "3 products"
    assert titles(html) == ["Print 2", "Print 1", "Print 0"]


def test_pages_past_the_end_compile_one_first_page(client, make_seller, make_category):
    """Any page number past the end of a short list shows page 1 through the same
    compiled query: the compiled queries do not grow with the numbers asked for."""
    from marketplace_core.prepared import _prepared

    seller = make_seller()
    bulk_products(seller, 3, category=make_category(seller=seller, name="Shelf"))
    for query in ({}, {"category": "shelf"}):
        client.get("/products/", {**query, "page": 2})
        compiled = len(_prepared)
        for page in range(3, 40):
            versions.bump_catalog_version()
            html = client.get("/products/", {**query, "page": page}).content.decode()
            assert page_line(html) == "" and len(titles(html)) == 3  # page 1, no page links
        assert len(_prepared) == compiled, query


@pytest.mark.by_database
def test_a_slug_shared_by_two_sellers_counts_a_product_in_both_once(
    client, make_seller, make_category, make_product,
):
    """Two sellers' categories with one slug are one choice, whose facet sum counts
    a product linked to both twice: such a list is counted, not read from the facets."""
    first, second = make_seller(), make_seller()
    mine, theirs = (make_category(seller=first, name="Maps"),
                    make_category(seller=second, name="Maps"))
    both = make_product(seller=first, title="Atlas", content=None)
    both.categories.add(mine, theirs)  # as the admin can link them
    make_product(seller=second, title="Globe", content=None).categories.add(theirs)
    html = client.get("/products/", {"category": "maps"}).content.decode()
    assert "(3)" in html  # the choice: the categories' counts, summed
    assert result_count(html) == "2 products"
    assert titles(html) == ["Globe", "Atlas"]
    from marketplace_core.prepared import _prepared

    # Counted by its links (the slug bound in the list's and the count's EXISTS),
    # compiled once.
    assert any(key[:2] == ("first page", "catalog category") and key[-1] is not None
               and query is not None for key, query in _prepared.items())


# ---------------------------------------------------------------------------
# queries per page
# ---------------------------------------------------------------------------

#: Queries per storefront page rendered for an anonymous visitor (a new catalog
#: version); from the page cache it costs none.
ANONYMOUS_QUERIES = {
    "home": 2,  # featured, newest
    "catalog": 2,  # the page with its count, the category choices
    "category": 2,
    "search": 3,  # the ranked window's ids, the page's rows, the category choices
    "deep page": 3,  # past page 1: its ids with the count, their rows, the category choices
    # the product with its seller and their profile, its newest file version, more
    # from the seller
    "product": 3,
}
#: What a logged-in visitor adds, from the page cache or not: the session and the
#: user with the person's rows (``PersonModelBackend``). What they own is read once
#: (their first page) and kept for them in the cache, as their rendered parts are
#: (``catalog/visitors.py``).
LOGGED_IN_EXTRA = 2


@pytest.mark.by_database
@pytest.mark.parametrize("size", [1, 24, 1000])
def test_each_page_costs_at_most_five_queries_whatever_the_catalog(
    client, make_seller, make_user, make_category, django_assert_num_queries, size,
):
    """Each page rendered after a change (cold) and then from the page cache (warm):
    at most five queries for anyone, a logged-in visitor's cold search included
    (three of the catalog: the ranked window's ids, the page's rows, the category
    choices; two of their own)."""
    seller = make_seller()
    shelf = make_category(seller=seller, name="Shelf")
    products = bulk_products(seller, size, category=shelf)
    buyer = make_user()
    buy(buyer, products[0])
    visitors = {"anonymous": client, "buyer": logged_in(buyer)}
    per_page = min(size, 24)
    pages = {
        "home": ("/", None),
        "catalog": ("/products/", per_page),
        "category": ("/products/?category=shelf", per_page),
        "search": ("/products/?q=poster", per_page),
        "deep page": (f"/products/?page={(size - 1) // 24 + 1}", size % 24 or per_page),
        "product": (products[0].get_absolute_url(), None),
    }
    first = True
    for who, visitor in visitors.items():
        for name, (url, shown) in pages.items():
            for cold in (True, False):
                own = 0
                if who == "buyer":
                    own = LOGGED_IN_EXTRA + first  # their owned ids on their first page
                    first = False
                catalog = ANONYMOUS_QUERIES["catalog" if name == "deep page" and size <= 24
                                            else name]  # the deep page is page 1 then
                queries = own + (catalog if cold else 0)
                assert queries <= 5
                if cold:
                    versions.bump_catalog_version()
                with django_assert_num_queries(queries):
                    response = visitor.get(url)
                assert response.status_code == 200, (who, name, cold)
                if shown is not None:
                    assert len(titles(response.content.decode())) == shown, (who, name, cold)


# ---------------------------------------------------------------------------
# query plans that must not walk the whole list (SQLite, without statistics)
# ---------------------------------------------------------------------------


def _plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return [str(row[-1]) for row in cursor.fetchall()]


def test_deep_pages_and_category_counts_hold_their_sqlite_plans(
    client, make_seller, make_category, marketplace_db_vendor,
):
    """A page past the first reads its 24 rows by id (through the list's filters
    and order SQLite walked the newest-first index over the whole list: 18 ms at
    100,000 products), and the count of categories walks their links (walking the
    list and probing each product's links: 15 ms for a category of 2.7 %). One
    category's count comes from the kept facets: two are counted."""
    if marketplace_db_vendor != "sqlite":
        pytest.skip("SQLite's planner")
    seller = make_seller()
    shelf = make_category(seller=seller, name="Shelf")
    bulk_products(seller, 60, category=shelf)
    bulk_products(seller, 5, category=make_category(seller=seller, name="Other"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone() is None  # no statistics: the planner's defaults
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/products/", {"page": 2})
    assert len(titles(response.content.decode())) == 24
    rows = next(q["sql"] for q in queries if '"marketplace_core_product"."id" IN (' in q["sql"])
    assert _plan(rows)[0].startswith(
        "SEARCH marketplace_core_product USING INTEGER PRIMARY KEY"), _plan(rows)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/products/", {"category": ["shelf", "other"]})
    assert len(titles(response.content.decode())) == 24
    assert result_count(response.content.decode()) == "65 products"
    page = next(q["sql"] for q in queries if "counted_rows" in q["sql"])
    plan = _plan(page)
    counting = plan[plan.index("CO-ROUTINE counted_rows"):]
    assert any("product_categories USING INDEX" in step and "(category_id=?)" in step
               for step in counting), plan
    assert not any("marketplace_product_newest" in step for step in counting), plan
