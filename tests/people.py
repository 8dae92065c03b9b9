"""What the tests need to run with any user model (see ``tests/settings.py``).

``User`` is the configured user model (core's ``User`` or ``custom_user.Member``);
tests about core's own model are marked :data:`core_user_only`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from marketplace_core.people.records import is_email_verified, shop_name

User: Any = get_user_model()
CORE_USER = settings.AUTH_USER_MODEL == "marketplace_core.User"


def core_user_only(test: Any) -> Any:
    """Mark ``test`` as about core's own ``User``: skipped with another user model, and
    marked ``core_user`` so that an environment running the suite with another user
    model can run these with core's (``core-py313-django6`` in ``tox.ini``)."""
    test = pytest.mark.core_user(test)
    return pytest.mark.skipif(not CORE_USER, reason="about core's own User model")(test)


def fresh(user: Any) -> Any:
    """``user`` as the database has it now (nothing cached)."""
    return User._default_manager.get(pk=user.pk)


def verified(user: Any) -> bool:
    """Whether the address of ``user`` is verified, as the database says now."""
    return is_email_verified(fresh(user))


def name_of(user: Any) -> str:
    """The name of ``user`` in the shop, as the database says now."""
    return shop_name(fresh(user))
