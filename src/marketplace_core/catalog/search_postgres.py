"""PostgreSQL full-text search: a weighted ``SearchVector`` served by a GIN index.

The migration ``0003`` creates ``marketplace_product_search``, a GIN index on
exactly :func:`product_search_vector`; queries use the same expression, which
is what lets PostgreSQL use the index (a test checks the query plan).

Imported only on PostgreSQL: ``django.contrib.postgres`` needs psycopg.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import QuerySet
from django.db.models.expressions import CombinedExpression

#: The text search configuration: English stemming and stop words.
SEARCH_CONFIG = "english"
INDEX_NAME = "marketplace_product_search"


def product_search_vector() -> CombinedExpression:
    """Title (weight A), category names (B) and description (C)."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("category_names", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG)
    )


def search_query(terms: list[str]) -> SearchQuery:
    """Every term as a prefix: ``'water':* & 'col':*``.

    Terms are word characters only, so quoting them leaves no tsquery syntax to inject.
    """
    raw = " & ".join(f"'{term}':*" for term in terms)
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


def best_matches(queryset: QuerySet[Any], terms: list[str], limit: int) -> list[int]:
    """The newest ``limit`` matches, ranked by ``ts_rank``, best first.

    The GIN index finds the matches; the newest ``limit`` are kept before any is
    ranked (PostgreSQL evaluates ``ts_rank`` after the sort and limit), and the
    at most ``limit`` (id, rank) pairs are sorted here (stable: ties stay newest first).
    """
    vector = product_search_vector()
    query = search_query(terms)
    newest = (
        queryset.annotate(search_vector=vector)
        .filter(search_vector=query)
        .order_by("-created_at", "-id")
        .annotate(search_rank=SearchRank(vector, query))
        .values_list("pk", "search_rank")[:limit]
    )
    ranked = sorted(newest, key=lambda row: -row[1])
    return [pk for pk, _rank in ranked]


def apply(queryset: QuerySet[Any], terms: list[str]) -> QuerySet[Any]:
    """Filter ``queryset`` to matches and order them by ``ts_rank``, best first."""
    vector = product_search_vector()
    query = search_query(terms)
    return (
        queryset.annotate(search_vector=vector, search_rank=SearchRank(vector, query))
        .filter(search_vector=query)
        .order_by("-search_rank", "-created_at", "-id")
    )
