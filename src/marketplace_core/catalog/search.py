"""Product search with the database's own full-text engine.

- PostgreSQL: a stored, weighted ``tsvector`` column with a GIN index (:mod:`.search_postgres`).
- SQLite: an FTS5 external-content table kept in sync by triggers (:mod:`.search_sqlite`).
- Other databases: case-insensitive substring matching, unranked.

A storefront list ranks a bounded set (:func:`best_matches`): the newest matches,
as many as the page's count window, so a word found in most of the catalog costs
what a rare one does; a list that reaches the bound says "more than".

Semantics are the same everywhere: ``q`` is split into words; a product matches
when every word is the beginning of a word in its title, category names or
description (so results update sensibly while someone is still typing), and
matches are ordered by relevance, a title hit first. Stemming differs slightly by
engine (PostgreSQL's English dictionary, SQLite's Porter stemmer); PostgreSQL
also ignores English stop words such as "the".
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from django.db import connections
from django.db.models import Q, QuerySet

#: Longer queries are cut: a search box is not a document.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
_WORD = re.compile(r"\w+")
_QS = TypeVar("_QS", bound=QuerySet[Any])


def search_terms(q: str) -> list[str]:
    """The words of ``q``, casefolded, at most :data:`MAX_TERMS` (only word characters)."""
    return _WORD.findall(q[:MAX_QUERY_LENGTH].casefold())[:MAX_TERMS]


def search_products(queryset: _QS, q: str) -> _QS:
    """``queryset`` narrowed to products matching ``q``, most relevant first.

    A ``q`` without words returns ``queryset`` unchanged. Matching rows carry a
    ``search_rank`` annotation on PostgreSQL and SQLite.
    """
    terms = search_terms(q)
    if not terms:
        return queryset
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        from marketplace_core.catalog import search_postgres

        return cast(_QS, search_postgres.apply(queryset, terms))
    if vendor == "sqlite":
        from marketplace_core.catalog import search_sqlite

        return cast(_QS, search_sqlite.apply(queryset, terms))
    condition = Q()
    for term in terms:
        condition &= (
            Q(title__icontains=term)
            | Q(category_names__icontains=term)
            | Q(description__icontains=term)
        )
    return queryset.filter(condition)


def best_matches(queryset: QuerySet[Any], q: str, limit: int) -> list[int]:
    """The ids of the newest ``limit`` products of ``queryset`` matching ``q``,
    most relevant first (ties newest first): one query, at most ``limit`` rows.

    Only those are ranked, so the cost is bounded by ``limit``, not by how many
    products match; a caller that gets ``limit`` ids back knows the list goes on.
    ``q`` must hold words (:func:`search_terms`).
    """
    terms = search_terms(q)
    if not terms:
        raise ValueError("best_matches() needs a query with words")
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        from marketplace_core.catalog import search_postgres

        return search_postgres.best_matches(queryset, terms, limit)
    if vendor == "sqlite":
        from marketplace_core.catalog import search_sqlite

        return search_sqlite.best_matches(queryset, terms, limit)
    newest = search_products(queryset, q).order_by("-created_at", "-id")
    return list(newest.values_list("pk", flat=True)[:limit])
