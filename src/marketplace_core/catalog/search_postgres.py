"""PostgreSQL full-text search: a stored, weighted search document with a GIN index.

The migration ``0007`` adds ``search_document`` to the product table, a
generated ``tsvector`` column (title weight A, category names B, description C,
English stemming) that PostgreSQL keeps current on every write, and the GIN index
``marketplace_product_search`` on it. Matching and ranking read the column: no
vector is built from the text at query time. It is not a model field; queries
name it through :func:`search_document`.

Imported only on PostgreSQL: ``django.contrib.postgres`` needs psycopg.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

#: The text search configuration: English stemming and stop words.
SEARCH_CONFIG = "english"
INDEX_NAME = "marketplace_product_search"
DOCUMENT_COLUMN = "search_document"
#: The column's definition, as the migration froze it (a test compares them).
DOCUMENT_SQL = (
    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')\n"
    "    || setweight(to_tsvector('english'::regconfig, COALESCE(category_names, '')), 'B')\n"
    "    || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'C')"
)


def search_document() -> RawSQL:
    """The product row's stored search document (a query on the product table)."""
    # A constant column name, no user input.
    return RawSQL(f'"marketplace_core_product"."{DOCUMENT_COLUMN}"', [],  # noqa: S611
                  output_field=SearchVectorField())


def search_query(terms: list[str]) -> SearchQuery:
    """Every term as a prefix: ``'water':* & 'col':*``.

    Terms are word characters only, so quoting them leaves no tsquery syntax to inject.
    """
    raw = " & ".join(f"'{term}':*" for term in terms)
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


def best_matches(queryset: QuerySet[Any], terms: list[str], limit: int) -> list[int]:
    """The newest ``limit`` matches, ranked by ``ts_rank``, best first.

    The newest ``limit`` are kept before any is ranked (PostgreSQL evaluates
    ``ts_rank`` after the sort and limit), and the at most ``limit`` (id, rank)
    pairs are sorted here (stable: ties stay newest first).
    """
    document = search_document()
    query = search_query(terms)
    newest = (
        queryset.alias(search_vector=document)
        .filter(search_vector=query)
        .order_by("-created_at", "-id")
        .annotate(search_rank=SearchRank(document, query))
        .values_list("pk", "search_rank")[:limit]
    )
    ranked = sorted(newest, key=lambda row: -row[1])
    return [pk for pk, _rank in ranked]


def apply(queryset: QuerySet[Any], terms: list[str]) -> QuerySet[Any]:
    """Filter ``queryset`` to matches and order them by ``ts_rank``, best first."""
    document = search_document()
    query = search_query(terms)
    return (
        queryset.alias(search_vector=document)
        .filter(search_vector=query)
        .annotate(search_rank=SearchRank(document, query))
        .order_by("-search_rank", "-created_at", "-id")
    )
