"""``User``: the type of a person for annotations, whatever ``AUTH_USER_MODEL`` is.

Under mypy (django-stubs) it is the configured user model; at run time it is
Django's ``AbstractBaseUser``, which every user model extends. Import it
instead of a concrete model so that code stays right for any user model::

    if TYPE_CHECKING:
        from marketplace_core.people.types import User
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User
else:
    from django.contrib.auth.base_user import AbstractBaseUser as User

__all__ = ["User"]
