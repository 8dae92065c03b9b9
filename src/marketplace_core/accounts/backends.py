"""Which authentication backend a login made by core records in the session."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils.module_loading import import_string


def password_backend() -> str:
    """The configured backend to record in the session of a fresh account.

    It must be one of ``AUTHENTICATION_BACKENDS``, or the session would not
    authenticate on the next request; prefer one that checks passwords.
    """
    paths = list(settings.AUTHENTICATION_BACKENDS)
    for path in paths:
        if issubclass(import_string(path), ModelBackend):
            return path
    return paths[0]
