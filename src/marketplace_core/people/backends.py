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

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import router
from django.db.models import Manager, Model

from marketplace_core.people.records import ACCOUNT, SELLER
from marketplace_core.prepared import prepared

#: The key the user's query is compiled with (each call binds the real one).
PLACEHOLDER_KEY = 0


def person(model: type[Model], user_id: Any) -> Any:
    """The user ``user_id`` with its :mod:`.records` rows, ``None`` when missing:
    one query, compiled once per user model and database (:mod:`marketplace_core.prepared`:
    compiling it on every logged-in request cost fifteen times what SQLite takes to
    answer it), unless the model's default manager changes the queryset (its SQL
    could then depend on the moment)."""
    manager = model._default_manager
    query = None
    if type(manager).get_queryset is Manager.get_queryset:
        # The database a queryset of the model reads from (``QuerySet.db``), without
        # building one on every request.
        query = prepared(("person", model, router.db_for_read(model)),
                         lambda key: _rows(manager).filter(pk=key).order_by()[:1],
                         model._meta.pk, PLACEHOLDER_KEY)
    if query is not None:
        return query.first(user_id)
    try:
        return _rows(manager).get(pk=user_id)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        return None


def _rows(manager: Manager[Any]) -> Any:
    return manager.select_related(ACCOUNT, SELLER)


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

