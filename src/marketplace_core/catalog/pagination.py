"""Pages of a product list that cost what they show: no ``COUNT(*)`` of the whole list.

:class:`WindowPaginator` counts the list only as far as a window past the
requested page (at least :data:`LEAST_WINDOW` rows, and :data:`PAGES_AHEAD` pages
past it, in whole pages), so page 1 of a 100,000-product catalog counts about
1,000 index entries, not 100,000. When the list is longer the paginator is
``capped``: ``count`` is the window, and the page says "more than". The count
rides on the page query as a scalar subquery, so page 1 costs one query and a
page past it two (its ids with the count from the index, then those rows by id).
A caller that knows the list's length (``known_count``: a category's kept facet
count) gets an exact count and pages without any counting.

Page numbers are forgiving: a number that is not one reads as page 1 and one past
the end shows the last page (two more queries, only then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Field, IntegerField, QuerySet
from django.db.models.expressions import RawSQL

from marketplace_core.catalog.search import best_matches
from marketplace_core.prepared import prepared

#: The fewest rows a page counts (rounded up to whole pages).
LEAST_WINDOW = 1000
#: How many pages past the requested one the count reaches.
PAGES_AHEAD = 10
#: Larger page numbers are read as this one (a window this far still counts fast).
MAX_PAGE = 10_000


def subquery(queryset: QuerySet[Any], wrap: str = "%s") -> RawSQL:
    """``queryset`` as a subquery (``wrap`` places it in more SQL).

    Compiled on its own, not as a ``Subquery``: Django would give its tables
    new aliases, which raw SQL in it (the SQLite search's join) does not follow.
    Its table names shadow the outer query's, so nothing in it is correlated.
    """
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    # The compiled SQL of a queryset, its values bound parameters.
    return RawSQL(wrap % sql, params, output_field=IntegerField())  # noqa: S611


def count_of(queryset: QuerySet[Any]) -> RawSQL:
    """The number of rows of a (sliced) queryset, as a scalar subquery."""
    return subquery(queryset, "SELECT COUNT(*) FROM (%s) AS counted_rows")


def requested_page(value: Any) -> int:
    """The page number asked for: a positive integer, else 1."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass(frozen=True)
class PreparedList:
    """A list whose first page is compiled once per process (:mod:`marketplace_core.prepared`).

    ``build(value)`` makes the list and what it counts (``None``: its ids) for
    ``value`` of ``field`` (``field`` ``None``: a list that takes no value, such as
    the unfiltered catalog); it is called once, with ``placeholder``, which must
    appear ``occurrences`` times among the SQL's parameters. ``key`` names the list
    and its database.
    """

    key: tuple[Any, ...]
    build: Callable[[Any], tuple[QuerySet[Any], QuerySet[Any] | None]]
    field: Field[Any, Any] | None = None
    placeholder: Any = None
    value: Any = None
    occurrences: int = 1


class WindowPaginator(Paginator):
    """A paginator over an ordered queryset that counts only a window of it.

    ``number`` is the page about to be shown (:meth:`fetch`); the count stops at
    ``window`` rows, so ``count``, ``num_pages`` and ``has_next`` are exact up to
    :data:`PAGES_AHEAD` pages past it, and ``capped`` says the list goes on.
    """

    COUNT_ATTRIBUTE = "_marketplace_window_count"

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, number: int,
                 rows: QuerySet[Any] | None = None,
                 counting: QuerySet[Any] | None = None,
                 prepared_list: PreparedList | None = None,
                 known_count: int | None = None,
                 rows_key: tuple[Any, ...] | None = None) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        #: The list's exact length when the caller knows it (kept counts): then
        #: nothing is counted, and the count is exact however long the list.
        self.known_count = known_count
        #: How ``object_list`` is built for any value of what it was filtered by:
        #: page 1's query is then compiled once per process.
        self.prepared_list = prepared_list
        self._counting_given = counting
        #: How a page past the first reads its rows, by id alone (default: the
        #: model's manager): the list's filters are already in the ids, and read
        #: through them with the list's order, SQLite walked the newest-first index
        #: over the whole list to find the 24 ids (18 ms at 100,000 products).
        self.rows = rows if rows is not None else object_list.model._default_manager.all()
        #: Names ``rows`` when its SQL is the same for every request: a whole page's
        #: rows are then read with a query compiled once (compiling it took 0.5 ms).
        self.rows_key = rows_key
        #: Whole pages, so that "more than" the window is more than its pages too.
        self.window = self._window(number)
        self.capped = False

    @cached_property
    def counting(self) -> QuerySet[Any]:
        """One row per listed item, in no order, that the database counts faster
        than the list (default: the list's ids); built only when something counts."""
        return _counting(self.queryset, self._counting_given)

    def _window(self, number: int) -> int:
        """How many rows the count reaches when page ``number`` is shown."""
        return max(-(-LEAST_WINDOW // self.per_page), number + PAGES_AHEAD) * self.per_page

    def _with_count(self, listed: QuerySet[Any], counting: QuerySet[Any]) -> QuerySet[Any]:
        """``listed`` with the window's count of ``counting`` on every row."""
        return listed.annotate(**{self.COUNT_ATTRIBUTE: count_of(counting[: self.window + 1])})

    def _note(self, counted: int) -> int:
        self.capped = counted > self.window
        count = min(counted, self.window)
        self.__dict__["count"] = count  # what Paginator.count (a cached property) caches
        return count

    @cached_property
    def count(self) -> int:
        """Rows in the list, up to ``window`` (one query, unless a page told it or
        the count is known)."""
        if self.known_count is not None:
            return self.known_count
        counted: int = self.counting[: self.window + 1].count()
        return self._note(counted)

    def fetch(self, number: int) -> Page:
        """Page ``number``, or the last page when the list is shorter (one query for
        page 1, two for a later one; two more past the end; with a known count, none
        for an empty list and no more past the end)."""
        if self.known_count is not None:
            return self._fetch_known(number)
        bottom = (number - 1) * self.per_page
        if bottom:
            # A page past the first picks its ids (and the count) from the index,
            # then reads those rows by id: skipped rows cost an index entry, not a row.
            page = self._with_count(self.queryset, self.counting)
            picked = list(page.values_list("pk", self.COUNT_ATTRIBUTE)[
                bottom: bottom + self.per_page])
            if picked:
                self._note(picked[0][1])
                return self._page_of([pk for pk, _ in picked], number)
            rows = []
        else:
            rows = self._first_page()
        if rows:
            self._note(getattr(rows[0], self.COUNT_ATTRIBUTE))
            return Page(rows, number, self)
        if number == 1:
            self._note(0)
            return Page(rows, 1, self)
        # Past the end: the window reaches beyond ``bottom``, so this count is exact.
        last = self.num_pages
        return self.fetch(last) if last < number else Page(rows, number, self)

    def _fetch_known(self, number: int) -> Page:
        """Page ``number`` (the last when it is past the end) of a list of
        ``known_count`` rows: page 1 one query, a later page two (its ids from the
        index, then their rows), an empty list none."""
        assert self.known_count is not None
        if not self.known_count:
            return Page([], 1, self)
        number = min(number, self.num_pages)
        bottom = (number - 1) * self.per_page
        if not bottom:
            return Page(self._first_page(), 1, self)
        ids = list(self.queryset.values_list("pk", flat=True)[bottom: bottom + self.per_page])
        return self._page_of(ids, number)

    def _page_of(self, ids: list[Any], number: int) -> Page:
        """Page ``number`` of the rows of ``ids``, in their order; a product deleted
        since its id was picked is left out."""
        found = self._rows_by_id(ids)
        return Page([found[pk] for pk in ids if pk in found], number, self)

    def _rows_by_id(self, ids: list[Any]) -> dict[Any, Any]:
        """``rows`` of ``ids`` by id (``QuerySet.in_bulk``), compiled once for a
        whole page when :attr:`rows_key` names them."""
        if not ids:
            return {}
        if self.rows_key is not None and len(ids) == self.per_page:
            stand_ins = tuple(range(-1, -len(ids) - 1, -1))  # ids no row has
            query = prepared(("rows by id", *self.rows_key, len(ids)),
                             lambda wanted: self.rows.filter(pk__in=wanted),
                             self.rows.model._meta.pk, stand_ins)
            if query is not None:
                return {row.pk: row for row in query.all(tuple(ids))}
        return self.rows.in_bulk(ids)

    def _first_page(self) -> list[Any]:
        """Page 1's rows, with the count unless it is known (compiled once when
        :attr:`prepared_list` says how)."""
        counted = self.known_count is None
        # Page 1's window whatever page was asked for (a page past the end of a
        # short list lands here): one compiled query, not one per page number.
        self.window = self._window(1)
        spec = self.prepared_list
        if spec is not None:
            def build(value: Any) -> QuerySet[Any]:
                listed, counting = spec.build(value)
                if counted:
                    listed = self._with_count(listed, _counting(listed, counting))
                return listed[: self.per_page]

            window = self.window if counted else None
            query = prepared(("first page", *spec.key, self.per_page, window),
                             build, spec.field, spec.placeholder, spec.occurrences)
            if query is not None:
                return query.all(spec.value)
        page = self._with_count(self.queryset, self.counting) if counted else self.queryset
        return list(page[: self.per_page])


def _counting(listed: QuerySet[Any], counting: QuerySet[Any] | None) -> QuerySet[Any]:
    return counting if counting is not None else listed.order_by().values("pk")


class RankedPaginator(WindowPaginator):
    """A search's pages: the best of the newest ``window`` matches.

    Only the window's matches are ranked (:func:`search.best_matches`, one query
    that returns their ids), whatever the number of matches; the page's rows are
    then read by id (a second query). A search that fills the window is
    ``capped`` ("more than"), its results the most relevant among the newest
    matches: more words or a category narrow it.
    """

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, number: int,
                 q: str, rows: QuerySet[Any], rows_key: tuple[Any, ...] | None = None) -> None:
        super().__init__(object_list, per_page, number=number, rows=rows, rows_key=rows_key)
        self.q = q

    def fetch(self, number: int) -> Page:
        """Page ``number`` of the ranked window, or its last page (two queries; one
        when nothing matches)."""
        ids = best_matches(self.queryset, self.q, self.window + 1)
        self._note(len(ids))
        number = min(number, self.num_pages)
        bottom = (number - 1) * self.per_page
        return self._page_of(ids[bottom: bottom + self.per_page], number)
