"""SQLite full-text search: an FTS5 index of products kept in sync by triggers.

``marketplace_product_fts`` is an FTS5 *external-content* table over the product
table's ``title``, ``category_names`` and ``description``: it stores only the
index, and three triggers on the product table keep it in step with every
insert, update and delete (including ``QuerySet.update()`` and raw SQL).

The migration ``0003`` creates it. Django rebuilds a SQLite table (dropping its
triggers) for many later schema changes, so after every ``migrate`` the
triggers are checked and, when one is missing, recreated and the index rebuilt
(:func:`ensure_index`).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

FTS_TABLE = "marketplace_product_fts"
PRODUCT_TABLE = "marketplace_core_product"
#: Indexed columns, in the order of the bm25 weights below.
COLUMNS = ("title", "category_names", "description")

# The SQL is written out (no string building) so it reads as it runs. Porter
# stemming ("brushes" finds "brush"); accents and case are ignored.
CREATE_TABLE = """
CREATE VIRTUAL TABLE IF NOT EXISTS marketplace_product_fts USING fts5(
    title, category_names, description,
    content='marketplace_core_product', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
)"""
TRIGGERS = {
    "marketplace_product_fts_ai": """
CREATE TRIGGER IF NOT EXISTS marketplace_product_fts_ai
AFTER INSERT ON marketplace_core_product BEGIN
    INSERT INTO marketplace_product_fts(rowid, title, category_names, description)
    VALUES (new.id, new.title, new.category_names, new.description);
END""",
    "marketplace_product_fts_ad": """
CREATE TRIGGER IF NOT EXISTS marketplace_product_fts_ad
AFTER DELETE ON marketplace_core_product BEGIN
    INSERT INTO marketplace_product_fts(
        marketplace_product_fts, rowid, title, category_names, description)
    VALUES ('delete', old.id, old.title, old.category_names, old.description);
END""",
    "marketplace_product_fts_au": """
CREATE TRIGGER IF NOT EXISTS marketplace_product_fts_au
AFTER UPDATE OF title, category_names, description ON marketplace_core_product BEGIN
    INSERT INTO marketplace_product_fts(
        marketplace_product_fts, rowid, title, category_names, description)
    VALUES ('delete', old.id, old.title, old.category_names, old.description);
    INSERT INTO marketplace_product_fts(rowid, title, category_names, description)
    VALUES (new.id, new.title, new.category_names, new.description);
END""",
}
REBUILD = "INSERT INTO marketplace_product_fts(marketplace_product_fts) VALUES ('rebuild')"
MATCHING_IDS = "SELECT rowid FROM marketplace_product_fts WHERE marketplace_product_fts MATCH %s"
#: The index joined once to the product rows it matches (never a MATCH per row).
#: The unary ``+`` keeps SQLite from looking the index up by rowid, so the index's
#: matches are always the outer loop and each product row is read by its id: the
#: plan SQLite picks without statistics (no ``ANALYZE``) is the good one. Without
#: it, SQLite could walk the product table and run the full-text query per row.
JOIN = "marketplace_core_product.id = +marketplace_product_fts.rowid"
MATCH = "marketplace_product_fts MATCH %s"
#: bm25 with column weights (title 10, categories 4, description 1); lower is better.
RANK = "bm25(marketplace_product_fts, 10.0, 4.0, 1.0)"


def match_expression(terms: list[str]) -> str:
    """An FTS5 query: every term, each as a quoted prefix (``"water"* AND "col"*``).

    Terms are word characters only (:func:`search.search_terms`), so quoting makes
    FTS5 operators such as ``OR`` or ``NEAR`` plain words.
    """
    return " AND ".join(f'"{term}"*' for term in terms)


def apply(queryset: QuerySet[Any], terms: list[str]) -> QuerySet[Any]:
    """Filter ``queryset`` (of products) to FTS matches, best bm25 rank first.

    The FTS table is joined once, so each match is ranked once; a correlated
    ``MATCH`` per product row would run the full-text query once per match.
    ``extra()`` because the ORM has no join to a table without a model.
    """
    match = match_expression(terms)
    # Constant SQL; the user's words are a bound parameter.
    return queryset.extra(  # noqa: S610
        tables=[FTS_TABLE], where=[JOIN, MATCH], params=[match],
        select={"search_rank": RANK},
    ).order_by("search_rank", "-created_at", "-id")


def best_matches(queryset: QuerySet[Any], terms: list[str], limit: int) -> list[int]:
    """The newest ``limit`` matches (by id: FTS5 reads its matches in rowid
    order, descending without a sort), ranked by bm25, best first.

    bm25 runs for those rows only; the sort of at most ``limit`` (id, rank)
    pairs is Python's (stable: equal ranks stay newest first).
    """
    match = match_expression(terms)
    # Constant SQL; the user's words are a bound parameter.
    newest = queryset.extra(  # noqa: S610
        tables=[FTS_TABLE], where=[JOIN, MATCH], params=[match],
        select={"search_rank": RANK}, order_by=[f"-{FTS_TABLE}.rowid"],
    ).values_list("pk", "search_rank")[:limit]
    ranked = sorted(newest, key=lambda row: row[1])
    return [pk for pk, _rank in ranked]


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [PRODUCT_TABLE],
        )
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in TRIGGERS if name not in present]


def ensure_index(connection: BaseDatabaseWrapper) -> bool:
    """Create the FTS table and triggers if missing; rebuild the index when a
    trigger was missing (rows changed meanwhile went unindexed). Returns whether
    anything was repaired. Does nothing before the product table exists."""
    if PRODUCT_TABLE not in connection.introspection.table_names():
        return False
    missing = missing_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
        )
        has_table = cursor.fetchone() is not None
        if has_table and not missing:
            return False
        cursor.execute(CREATE_TABLE)
        for name in missing:
            cursor.execute(TRIGGERS[name])
        cursor.execute(REBUILD)
    return True


def repair_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: keep the index usable after any schema change."""
    from django.db import connections

    app_config = kwargs.get("app_config")
    if app_config is not None and app_config.label != "marketplace_core":
        return
    connection = connections[using]
    if connection.vendor == "sqlite":
        ensure_index(connection)
