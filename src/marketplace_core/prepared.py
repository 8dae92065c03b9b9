"""Hot queries compiled once per process, run with a new key each time.

Django builds and compiles a queryset's SQL on every evaluation: for a query with
joins or subqueries that is about 1 ms of CPU, ten to twenty times what the
database takes to answer it. The two queries every request of their kind makes
(the logged-in user with the person's rows, the order a payment webhook locks)
are kept here compiled, per database, and run with the one value that changes;
the instances are built by Django's own code (``results_iter``'s converters,
``from_db``, ``get_related_populators``), as ``QuerySet`` builds them.

A query qualifies when the placeholder it was built with is exactly one of its
SQL's parameters (the others, such as ``EXISTS``' constant, stay as compiled);
:func:`prepared` returns ``None`` otherwise and the caller keeps using the ORM.
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
    """A queryset's SQL compiled once; :meth:`first` runs it for another value of
    ``field`` than the ``placeholder`` it was built with."""

    def __init__(self, queryset: QuerySet[Any], field: Field[Any, Any],
                 placeholder: Any) -> None:
        self.using = queryset.db
        self.field = field
        compiler: SQLCompiler = queryset.query.get_compiler(self.using)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        stand_in = self._parameter(placeholder)
        found = [n for n, value in enumerate(self.params) if value == stand_in]
        if len(found) != 1:
            raise ValueError("the placeholder is not one parameter of the query")
        self.position = found[0]
        self.compiler = compiler
        info = compiler.klass_info
        assert info is not None
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
        return self.field.get_db_prep_value(self.field.get_prep_value(value),
                                            connections[self.using], prepared=True)

    def first(self, value: Any) -> Any:
        """The first row for ``value`` as an instance (``None`` when none)."""
        params = list(self.params)
        params[self.position] = self._parameter(value)
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        row = next(iter(self.compiler.results_iter(results=[rows])))
        obj = self.model.from_db(self.using, self.names, row[self.fields], **self.modes)
        for populator in self.populators:
            populator.populate(row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        return obj


_prepared: dict[tuple[Any, ...], PreparedQuery | None] = {}
_lock = threading.Lock()


def prepared(key: tuple[Any, ...], build: Callable[[Any], QuerySet[Any]],
             field: Field[Any, Any], placeholder: Any) -> PreparedQuery | None:
    """The query ``build(placeholder)`` makes, ``placeholder`` standing for a
    value of ``field``, compiled on first use under ``key`` (which names the
    query and its database); ``None`` when it does not qualify."""
    if key not in _prepared:
        try:
            query: PreparedQuery | None = PreparedQuery(build(placeholder), field, placeholder)
        except (ValueError, TypeError, ValidationError):
            query = None
        with _lock:
            _prepared[key] = query
    return _prepared[key]
