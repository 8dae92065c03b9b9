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

from marketplace_core.people.records import ACCOUNT, SELLER


class PersonRowsMixin:
    """``get_user`` reads the user and its :mod:`.records` rows in one query
    (a missing row is remembered as missing: asking for it costs nothing)."""

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.select_related(ACCOUNT, SELLER).get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class PersonModelBackend(PersonRowsMixin, ModelBackend):
    """Django's ``ModelBackend`` (inactive users cannot log in), loading the
    person's rows with the user."""

