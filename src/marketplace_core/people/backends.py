"""An authentication backend that loads the person's rows with the user.

Every page a logged-in person sees asks who they are (the user, one query per
request, made by Django's ``AuthenticationMiddleware`` through the session's
backend) and then whether they sell or verified their address (the core-owned
rows, :mod:`.records`, one more query). :class:`PersonModelBackend` is Django's
``ModelBackend`` whose ``get_user`` selects those rows in the same query, so the
second one is never made. List it in ``AUTHENTICATION_BACKENDS`` instead of
``django.contrib.auth.backends.ModelBackend``; it checks passwords and
permissions exactly as that one does. A project with its own backend mixes in
:class:`PersonRowsMixin` (before its base class).
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models import Manager, Model
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

from marketplace_core.people.records import ACCOUNT, SELLER


class PersonQuery:
    """The query of :class:`PersonRowsMixin`, compiled once per user model and
    database: Django builds and compiles a ``select_related`` query on every
    call (about 1 ms of CPU, fifteen times what SQLite takes to answer it, on
    every logged-in request); this runs the same SQL and builds the same
    instances (the user, its rows cached on it) as ``QuerySet.get`` would.

    Used only when the user model's default manager does not change the
    queryset (its SQL could depend on the moment); :func:`person` falls back
    to the ORM otherwise.
    """

    #: A stand-in key the SQL is compiled with (replaced by the real one's
    #: database value on every call).
    _PLACEHOLDER = 0

    def __init__(self, model: type[Model], using: str) -> None:
        queryset = model._default_manager.db_manager(using).select_related(ACCOUNT, SELLER)
        compiler: SQLCompiler = queryset.filter(pk=self._PLACEHOLDER).query.get_compiler(using)
        self.sql, params = compiler.as_sql()
        if len(params) != 1:
            raise ValueError("not a query by key alone")
        self.using = using
        self.compiler = compiler
        self.pk = model._meta.pk
        info = compiler.klass_info
        assert info is not None
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.model = info["model"]
        self.fields = slice(start, end)
        self.names = [column[0].target.attname for column in compiler.select[start:end]]
        # Django 6.1 passes the queryset's fetch mode to the instances it builds.
        fetch_mode = getattr(queryset, "_fetch_mode", None)
        self.modes: dict[str, Any] = {} if fetch_mode is None else {"fetch_mode": fetch_mode}
        populators: Any = get_related_populators
        self.populators = populators(info, compiler.select, using, *self.modes.values())

    def get(self, user_id: Any) -> Any:
        connection = connections[self.using]
        assert self.pk is not None
        key = self.pk.get_db_prep_value(self.pk.get_prep_value(user_id), connection,
                                        prepared=True)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [key])
            rows = cursor.fetchmany(2)
        if len(rows) != 1:
            return None
        row = next(iter(self.compiler.results_iter(results=[rows])))
        user = self.model.from_db(self.using, self.names, row[self.fields], **self.modes)
        for populator in self.populators:
            populator.populate(row, user)
        return user


_queries: dict[tuple[type[Model], str], PersonQuery | None] = {}
_queries_lock = threading.Lock()


def person(model: type[Model], user_id: Any) -> Any:
    """The user ``user_id`` with its :mod:`.records` rows, ``None`` when missing."""
    using = router.db_for_read(model)
    key = (model, using)
    if key not in _queries:
        prepared = None
        if type(model._default_manager).get_queryset is Manager.get_queryset:
            try:
                prepared = PersonQuery(model, using)
            except (ValueError, TypeError):
                prepared = None
        with _queries_lock:
            _queries[key] = prepared
    query = _queries[key]
    if query is not None:
        return query.get(user_id)
    try:
        return model._default_manager.select_related(ACCOUNT, SELLER).get(pk=user_id)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        return None


class PersonRowsMixin:
    """``get_user`` reads the user and its :mod:`.records` rows in one query
    (a missing row is remembered as missing: asking for it costs nothing)."""

    def get_user(self, user_id: Any) -> Any:
        user = person(get_user_model(), user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class PersonModelBackend(PersonRowsMixin, ModelBackend):
    """Django's ``ModelBackend`` (inactive users cannot log in), loading the
    person's rows with the user."""

