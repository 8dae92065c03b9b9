"""Hot queries compiled once per process, run with a new key each time (or none).

Django builds and compiles a queryset's SQL on every evaluation: for a query with
joins or subqueries that is about 1 ms of CPU, ten to twenty times what the
database takes to answer it. The queries every request of their kind makes (the
logged-in user with the person's rows, the order a payment webhook locks, the
home page's two lists, a product page's product) are kept here compiled, per
database, and run with the one value that changes (or none);
the instances are built by Django's own code (the compiler's converters,
``from_db``, ``get_related_populators``), as ``QuerySet`` builds them; the
converters are looked up once too (per query that was 60 µs, a tenth of a
logged-in page served from the cache).

A query qualifies when the placeholder it was built with is exactly one of its
SQL's parameters, or as many as the caller says (a category slug in both the
list's and its count's ``EXISTS``); the others, such as ``EXISTS``' constant,
stay as compiled. :func:`prepared` returns ``None`` otherwise and the caller
keeps using the ORM.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler


class PreparedQuery:
    """A queryset's SQL compiled once; :meth:`first` and :meth:`all` run it for
    another value of ``field`` than the ``placeholder`` it was built with (or as
    it is, for a query built without one: ``field`` ``None``). The placeholder
    must be ``occurrences`` of the SQL's parameters, each of them replaced.

    A ``tuple`` placeholder stands for as many values (distinct stand-ins, such
    as the ids of an ``IN`` list): the query then runs with a tuple of that length."""

    def __init__(self, queryset: QuerySet[Any], field: Field[Any, Any] | None,
                 placeholder: Any, occurrences: int = 1) -> None:
        self.using = queryset.db
        self.field = field
        compiler: SQLCompiler = queryset.query.get_compiler(self.using)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        #: Whether it runs with a tuple of values, and where each value goes.
        self.many = isinstance(placeholder, tuple)
        self.positions: list[list[int]] = []
        if field is not None:
            for stand_in in (placeholder if self.many else (placeholder,)):
                bound = self._parameter(stand_in)
                found = [n for n, value in enumerate(self.params) if value == bound]
                if len(found) != occurrences:
                    raise ValueError(f"the placeholder is {len(found)} parameters "
                                     f"of the query, not {occurrences}")
                self.positions.append(found)
        self.compiler = compiler
        # What ``results_iter`` asks the compiler on every call, asked once.
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        self.converters = compiler.get_converters(columns)
        self.columns = columns if compiler.has_composite_fields(columns) else None
        info = compiler.klass_info
        #: A ``values()`` query's names, in the order of its columns: its rows are dicts.
        self.value_names: list[str] | None = None
        if info is None:
            query = queryset.query
            self.value_names = [*query.extra_select, *query.values_select,
                                *query.annotation_select]
            return
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.model: type[Model] = info["model"]
        self.fields = slice(start, end)
        self.names = [column[0].target.attname for column in compiler.select[start:end]]
        self.annotations = dict(compiler.annotation_col_map or {})
        # Django 6.1 passes the queryset's fetch mode to the instances it builds.
        fetch_mode = getattr(queryset, "_fetch_mode", None)
        self.modes: dict[str, Any] = {} if fetch_mode is None else {"fetch_mode": fetch_mode}
        populators: Any = get_related_populators
        self.populators = populators(info, compiler.select, self.using, *self.modes.values())

    def _parameter(self, value: Any) -> Any:
        assert self.field is not None
        return self.field.get_db_prep_value(self.field.get_prep_value(value),
                                            connections[self.using], prepared=True)

    def _fetch(self, value: Any, size: int | None) -> list[Any]:
        params = list(self.params)
        values = value if self.many else (value,)
        if self.positions and len(values) != len(self.positions):
            raise ValueError(f"{len(values)} values for a query of {len(self.positions)}")
        for positions, one in zip(self.positions, values, strict=False):
            bound = self._parameter(one)
            for position in positions:
                params[position] = bound
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
        if not rows:
            return []
        return [self._instance(row) for row in self._converted(rows)]

    def _converted(self, rows: list[Any]) -> Any:
        """``rows`` as ``results_iter`` hands them on (database values converted)."""
        converted: Any = rows
        if self.converters:
            converted = self.compiler.apply_converters(converted, self.converters)
        if self.columns is not None:
            converted = self.compiler.composite_fields_to_tuples(converted, self.columns)
        return converted

    def _instance(self, row: Any) -> Any:
        if self.value_names is not None:
            return dict(zip(self.value_names, row, strict=True))
        obj = self.model.from_db(self.using, self.names, row[self.fields], **self.modes)
        for populator in self.populators:
            populator.populate(row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        return obj

    def first(self, value: Any = None) -> Any:
        """The first row for ``value`` as an instance, or a dict for a ``values()``
        query (``None`` when none)."""
        found = self._fetch(value, 1)
        return found[0] if found else None

    def all(self, value: Any = None) -> list[Any]:
        """Every row for ``value``, as instances (dicts for a ``values()`` query), in
        the query's order."""
        return self._fetch(value, None)


_prepared: dict[tuple[Any, ...], PreparedQuery | None] = {}
_lock = threading.Lock()


def prepared(key: tuple[Any, ...], build: Callable[[Any], QuerySet[Any]],
             field: Field[Any, Any] | None, placeholder: Any = None,
             occurrences: int = 1) -> PreparedQuery | None:
    """The query ``build(placeholder)`` makes, ``placeholder`` standing for a
    value of ``field`` (``field`` ``None``: a query that takes no value) in
    ``occurrences`` of its parameters, compiled on first use under ``key`` (which
    names the query, its database and whatever else its SQL depends on, such as
    a ``LIMIT``); ``None`` when it does not qualify."""
    if key not in _prepared:
        try:
            query: PreparedQuery | None = PreparedQuery(build(placeholder), field, placeholder,
                                                        occurrences)
        except (ValueError, TypeError, ValidationError):
            query = None
        with _lock:
            _prepared[key] = query
    return _prepared[key]
