"""Full-text product search on the database's own engine (PostgreSQL and SQLite).

The same tests run on both (``--marketplace-db``); where the engines differ, each
test states what its engine must do. The SQLite index machinery is also checked
on a scratch SQLite database, so it is covered whichever database the run uses.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.test.utils import CaptureQueriesContext

from marketplace_core.catalog import search_sqlite
from marketplace_core.catalog.models import Category, Product
from marketplace_core.catalog.search import best_matches, search_terms
from tests.people import User

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]

migration = importlib.import_module("marketplace_core.migrations.0003_product_search")
document_migration = importlib.import_module(
    "marketplace_core.migrations.0007_product_search_document")


def found(q: str) -> list[str]:
    return list(Product.objects.search(q).values_list("title", flat=True))


# ---------------------------------------------------------------------------
# the search document: category names follow every change
# ---------------------------------------------------------------------------


def names(product: Product) -> list[str]:
    product.refresh_from_db()
    return product.category_names.splitlines()


def test_category_names_follow_adds_removes_and_clears(make_seller, make_product,
                                                       make_category):
    seller = make_seller()
    product = make_product(seller=seller)
    fonts, icons = make_category(seller=seller, name="Fonts"), make_category(seller=seller,
                                                                               name="Icons")
    product.categories.add(icons, fonts)
    assert names(product) == ["Fonts", "Icons"]
    product.categories.remove(fonts)
    assert names(product) == ["Icons"]
    product.categories.set([fonts])
    assert names(product) == ["Fonts"]
    product.categories.clear()
    assert names(product) == []


def test_adding_a_category_reads_and_writes_the_names_once(make_seller, make_product,
                                                          make_category,
                                                          django_assert_num_queries):
    seller = make_seller()
    product = make_product(seller=seller)
    icons = make_category(seller=seller, name="Icons")
    # The missing-rows check, the insert, then one select and one update of the names;
    # then the facet count (catalog.facets): the product's lock, the facet's lock, the
    # first time the category and the facet's insert and lock, and the recount.
    with django_assert_num_queries(10):
        product.categories.add(icons)
    assert product.category_names == "Icons"
    with django_assert_num_queries(1):  # already there: nothing to rewrite
        product.categories.add(icons)
    assert names(product) == ["Icons"]


def test_category_names_follow_changes_from_the_category_side(make_seller, make_product,
                                                              make_category):
    seller = make_seller()
    first, second = make_product(seller=seller), make_product(seller=seller)
    icons = make_category(seller=seller, name="Icons")
    icons.products.add(first, second)
    assert names(first) == names(second) == ["Icons"]
    icons.products.remove(second)
    assert names(second) == []
    icons.products.clear()
    assert names(first) == []


def test_renaming_and_deleting_a_category_updates_its_products(make_seller, make_product,
                                                              make_category):
    seller = make_seller()
    product = make_product(seller=seller, title="Glyph Set")
    category = make_category(seller=seller, name="Icons")
    product.categories.add(category)
    category.name = "Pictograms"
    category.save()
    assert names(product) == ["Pictograms"]
    assert found("pictogram") == ["Glyph Set"]
    assert found("icons") == []
    category.delete()
    assert names(product) == []
    assert found("pictogram") == []
    # Deleting through a queryset is covered too.
    other = make_category(seller=seller, name="Vectors")
    product.categories.add(other)
    Category.objects.filter(pk=other.pk).delete()
    assert names(product) == []


def test_saving_a_stale_product_keeps_current_category_names(make_seller, make_product,
                                                              make_category):
    seller = make_seller()
    product = make_product(seller=seller, title="Stale Copy")
    stale = Product.objects.get(pk=product.pk)
    product.categories.add(make_category(seller=seller, name="Textures"))
    stale.title = "Stale Copy Renamed"
    stale.save()
    assert names(product) == ["Textures"]
    assert found("textures") == ["Stale Copy Renamed"]


# ---------------------------------------------------------------------------
# matching and ranking
# ---------------------------------------------------------------------------


def test_search_terms_are_words_only():
    assert search_terms('  Water-colour "OR" NEAR(x) a*b  ') == [
        "water", "colour", "or", "near", "x", "a", "b"
    ]
    assert search_terms("") == []
    assert search_terms("?!*") == []
    assert len(search_terms(" ".join(["word"] * 50))) == 8


def test_words_match_as_prefixes_of_words(make_product):
    make_product(title="Watercolour Basics")
    assert found("water") == ["Watercolour Basics"]
    assert found("WATERC") == ["Watercolour Basics"]
    assert found("colour") == []  # the start of a word, not any substring
    assert found("basic water") == ["Watercolour Basics"]


def test_stemming_finds_other_forms(make_product):
    make_product(title="Brush Guide", description="Clean your brushes.")
    assert found("brush") == ["Brush Guide"]
    assert found("brushes") == ["Brush Guide"]


def test_no_words_leaves_the_queryset_alone(make_product):
    make_product(title="Anything")
    assert Product.objects.search("  ?! ").count() == Product.objects.count()


def test_title_outranks_categories_outranks_description(make_seller, make_product,
                                                       make_category):
    seller = make_seller()
    in_description = make_product(seller=seller, title="Third", description="About vectors.")
    in_category = make_product(seller=seller, title="Second")
    in_category.categories.add(make_category(seller=seller, name="Vectors"))
    make_product(seller=seller, title="Vectors First")
    assert in_description.pk < in_category.pk  # ...so age does not explain the order
    assert found("vectors") == ["Vectors First", "Second", "Third"]


def test_changes_are_searchable_at_once(make_product):
    product = make_product(title="Old Name")
    product.title = "Fresh Name"
    product.save()
    assert found("fresh") == ["Fresh Name"]
    assert found("old") == []
    # Writes that skip save() too: the index follows the table.
    Product.objects.filter(pk=product.pk).update(description="Now with gradients")
    assert found("gradients") == ["Fresh Name"]
    product.delete()
    assert found("fresh") == []


def test_best_matches_ranks_only_the_newest_matches(make_seller, make_product):
    """A storefront search ranks a window of the newest matches (its cost is the
    window's, whatever the number of matches), best first, ties newest first."""
    seller = make_seller()
    old_title_match = make_product(seller=seller, title="Poster Atlas")
    in_descriptions = [make_product(seller=seller, title=f"Sheet {i}",
                                    description="A printable poster.") for i in range(6)]
    title_match = make_product(seller=seller, title="Poster Kit")
    newest = make_product(seller=seller, title="Sheet 6", description="Poster, printable.")
    make_product(seller=seller, title="Unrelated")
    listed = Product.objects.published()
    with CaptureQueriesContext(connection) as queries:
        ids = best_matches(listed, "poster", 5)
    assert len(queries) == 1
    # The five newest matches; the title match first, then newest first.
    assert ids == [title_match.pk, newest.pk,
                   *[p.pk for p in reversed(in_descriptions[-3:])]]
    everything = best_matches(listed, "poster", 100)
    assert everything[:2] == [title_match.pk, old_title_match.pk]
    assert len(everything) == 9
    # The list's own filters hold: an unpublished match is not a candidate.
    Product.objects.filter(pk=title_match.pk).update(status=Product.Status.DRAFT)
    assert title_match.pk not in best_matches(Product.objects.published(), "poster", 100)


def test_a_ranked_search_page_past_the_end_shows_the_last_page(client, make_product):
    for i in range(30):
        make_product(title=f"Linocut {i}")
    html = client.get("/products/", {"q": "linocut", "page": 7}).content.decode()
    shown = re.findall(r"Linocut (\d+)", html)
    assert "Page 2 of 2" in html
    assert sorted({int(n) for n in shown}) == list(range(6))


def _plan(sql: str, params: Any) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [str(row[-1]) for row in cursor.fetchall()]


def test_sqlite_search_plans_hold_without_statistics(client, make_product, make_category,
                                                     marketplace_db_vendor):
    """Without ``ANALYZE`` SQLite guesses; the search must read the index's matches
    and look each product up by id (walking the products and running the full-text
    query for each took 16 s at 100,000 products), and read a page's rows by id."""
    if marketplace_db_vendor != "sqlite":
        pytest.skip("SQLite's planner")
    product = make_product(title="Stencil Set")
    product.categories.add(make_category(seller=product.seller, name="Shelf"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone() is None  # no statistics: the planner's defaults
    in_shelf = Product.objects.published().filter(categories__slug="shelf")
    for listed in (Product.objects.published(), in_shelf):
        with CaptureQueriesContext(connection) as queries:
            assert best_matches(listed, "stencil", 1001) == [product.pk]
        ranked = listed.search("stencil")
        # Unordered too (a count of matches): SQLite then preferred to walk the
        # products' index and run the full-text query for each row.
        unordered = ranked.order_by().values("pk")[:1001]
        for sql, params in ((queries[0]["sql"], ()), ranked.query.sql_with_params(),
                            unordered.query.sql_with_params()):
            plan = _plan(sql, params)
            assert plan[0].startswith("SCAN marketplace_product_fts VIRTUAL TABLE"), plan
            assert any("SEARCH marketplace_core_product USING INTEGER PRIMARY KEY" in step
                       for step in plan), plan
    # The page: the window's ids, then its rows by id, not through the list's
    # filters (whose index SQLite preferred to a page of ids: 95,000 entries read).
    more = [make_product(title=f"Stencil {i}", content=None).pk for i in range(23)]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/products/", {"q": "stencil"})
    assert "Stencil Set" in response.content.decode()
    rows = next(q["sql"] for q in queries
                if '"marketplace_core_product"."id" IN (' in q["sql"]
                and all(f"{pk}" in q["sql"] for pk in more))
    plan = _plan(rows, ())
    assert plan[0].startswith("SEARCH marketplace_core_product USING INTEGER PRIMARY KEY"), plan


# ---------------------------------------------------------------------------
# the engines' indexes
# ---------------------------------------------------------------------------


def test_search_uses_the_engines_full_text_index(make_product, marketplace_db_vendor):
    for i in range(5):
        make_product(title=f"Indexed {i}")
    queryset = Product.objects.search("indexed")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if marketplace_db_vendor == "postgresql":
            # Tiny tables are read whole; forbid that to see whether the index fits.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN VERBOSE " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "marketplace_product_search" in plan, plan
            # Matching and ranking read the stored document; no vector is built
            # from the text (0.1 ms a row: 140 ms to rank 1,000 matches).
            assert "search_document" in plan and "to_tsvector" not in plan, plan
        else:
            assert marketplace_db_vendor == "sqlite"
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and "marketplace_product_fts" in plan, plan
    assert len(queryset) == 5


def test_the_migration_created_the_engines_index(marketplace_db_vendor):
    with connection.cursor() as cursor:
        if marketplace_db_vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'marketplace_product_search'"
            )
            (definition,) = cursor.fetchone()
            assert "USING gin (search_document)" in definition
            cursor.execute(
                "SELECT is_generated, generation_expression FROM information_schema.columns"
                " WHERE table_name = 'marketplace_core_product'"
                " AND column_name = 'search_document'"
            )
            generated, expression = cursor.fetchone()
            assert generated == "ALWAYS"
            for column in ("title", "category_names", "description"):
                assert column in expression
        else:
            assert search_sqlite.missing_triggers(connection) == []
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s",
                           [search_sqlite.FTS_TABLE])
            assert "fts5" in cursor.fetchone()[0]


def test_migration_sql_matches_the_live_definitions():
    """The migration froze its SQL; the code that repairs and queries must agree."""
    assert [
        search_sqlite.CREATE_TABLE, *search_sqlite.TRIGGERS.values(), search_sqlite.REBUILD
    ] == migration.SQLITE_FORWARD
    from marketplace_core.catalog.search_postgres import DOCUMENT_SQL, INDEX_NAME

    assert f"CREATE INDEX {INDEX_NAME} ON" in document_migration.PG_FORWARD[-1]
    assert DOCUMENT_SQL in document_migration.PG_FORWARD[1]


@pytest.fixture
def scratch_sqlite(tmp_path: Path):
    """A separate SQLite database holding the product table, whatever the run uses."""
    wrapper = SQLiteWrapper({
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "scratch.sqlite3"),
        "OPTIONS": {}, "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "TEST": {}, "USER": "",
        "PASSWORD": "", "HOST": "", "PORT": "",
    }, alias="scratch")
    with wrapper.schema_editor(atomic=False) as editor:
        editor.create_model(User)
        editor.create_model(Category)
        editor.create_model(Product)
    _scratch_user(wrapper, pk=1)
    yield wrapper
    wrapper.close()


def _scratch_user(db: SQLiteWrapper, pk: int) -> None:
    """A row of the user model (whichever it is), each column at its default."""
    columns, values = ["id"], [pk]
    for field in User._meta.concrete_fields:
        if field.primary_key:
            continue
        value = field.get_default()
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection=db))
    sql = (f"INSERT INTO {User._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (our names)
           f"VALUES ({', '.join(['%s'] * len(values))})")
    with db.cursor() as cursor:
        cursor.execute(sql, values)


def _scratch_insert(db: SQLiteWrapper, pk: int, title: str) -> None:
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO marketplace_core_product (id, seller_id, title, slug, description, "
            "price, currency, status, is_active, is_featured, file, file_name, cover_image, "
            "category_names, created_at, updated_at) VALUES (%s, 1, %s, %s, '', 1, 'USD', "
            "'published', 1, 0, '', '', '', '', '2026-01-01', '2026-01-01')",
            [pk, title, f"p{pk}"],
        )


def _scratch_match(db: SQLiteWrapper, word: str) -> list[int]:
    with db.cursor() as cursor:
        cursor.execute(search_sqlite.MATCHING_IDS,
                       [search_sqlite.match_expression(search_terms(word))])
        return sorted(row[0] for row in cursor.fetchall())


def test_sqlite_index_follows_inserts_updates_and_deletes(scratch_sqlite):
    assert search_sqlite.ensure_index(scratch_sqlite) is True
    _scratch_insert(scratch_sqlite, 1, "Copper Plates")
    _scratch_insert(scratch_sqlite, 2, "Copper Wire")
    assert _scratch_match(scratch_sqlite, "copper") == [1, 2]
    with scratch_sqlite.cursor() as cursor:
        cursor.execute("UPDATE marketplace_core_product SET title = 'Steel Wire' WHERE id = 2")
        cursor.execute("DELETE FROM marketplace_core_product WHERE id = 1")
    assert _scratch_match(scratch_sqlite, "copper") == []
    assert _scratch_match(scratch_sqlite, "steel") == [2]
    assert search_sqlite.ensure_index(scratch_sqlite) is False  # nothing to repair


def test_sqlite_index_is_repaired_when_a_table_rebuild_dropped_its_triggers(scratch_sqlite):
    """Django rebuilds SQLite tables for many schema changes, losing their triggers."""
    search_sqlite.ensure_index(scratch_sqlite)
    _scratch_insert(scratch_sqlite, 1, "Linen Paper")
    with scratch_sqlite.cursor() as cursor:
        cursor.execute("DROP TRIGGER marketplace_product_fts_au")
        cursor.execute("UPDATE marketplace_core_product SET title = 'Cotton Paper' WHERE id = 1")
    assert _scratch_match(scratch_sqlite, "cotton") == []  # the index fell behind
    assert search_sqlite.ensure_index(scratch_sqlite) is True
    assert search_sqlite.missing_triggers(scratch_sqlite) == []
    assert _scratch_match(scratch_sqlite, "cotton") == [1]
    assert _scratch_match(scratch_sqlite, "linen") == []


@pytest.mark.django_db(transaction=True)
def test_migrate_repairs_the_index_of_the_site_database(make_product, marketplace_db_vendor):
    product = make_product(title="Original Heading")
    if marketplace_db_vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER marketplace_product_fts_au")
    Product.objects.filter(pk=product.pk).update(title="Renamed Heading")
    call_command("migrate", verbosity=0)
    assert found("renamed") == ["Renamed Heading"]
    assert found("original") == []
    if marketplace_db_vendor == "sqlite":
        assert search_sqlite.missing_triggers(connection) == []
