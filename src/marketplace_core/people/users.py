"""Read and create users of any user model, with only what Django guarantees.

Nothing here assumes core's ``User``: the email address is the field named by
``get_email_field_name()`` (when the model has it), the login name is
``USERNAME_FIELD``, and users are created through the model's default manager's
``create_user`` with those field names.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models.functions import Lower

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from marketplace_core.people.types import User

#: The user model field that holds the shop name when the model has one (core's
#: ``User`` does); other models keep it in ``Account.display_name``.
NAME_FIELD = "name"


def normalize_email(email: str | None) -> str:
    """An address as core compares and keys it: stripped and lowercased."""
    return (email or "").strip().lower()


def _concrete_field(model: Any, name: str) -> bool:
    meta = getattr(model, "_meta", None)
    if meta is None or not name:
        return False
    try:
        field = meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(getattr(field, "concrete", False)) and not field.is_relation


def email_field_name(model: Any = None) -> str | None:
    """The user model's email field (``get_email_field_name()``), or ``None`` when
    the model has no such field: features that email people are then off."""
    model = model or get_user_model()
    getter = getattr(model, "get_email_field_name", None)
    name = getter() if callable(getter) else "email"
    return name if _concrete_field(model, name) else None


def own_name_field(model: Any = None) -> str | None:
    """:data:`NAME_FIELD` when the user model has it, else ``None``."""
    return NAME_FIELD if _concrete_field(model or get_user_model(), NAME_FIELD) else None


def email_of(user: Any) -> str:
    """The address of ``user``, ``""`` when it has none (or is anonymous)."""
    name = email_field_name(user.__class__) if getattr(user, "pk", None) is not None else None
    return str(getattr(user, name, "") or "") if name else ""


def users_with_email(email: str | None) -> QuerySet[Any]:
    """Every user (active or not) whose address is ``email``, ignoring case;
    none when the user model has no email field or ``email`` is blank.

    Compared as ``LOWER(field) = <lowercased address>``, the expression core's
    ``User`` has a unique index on, so that lookup is an index scan there.
    """
    model = get_user_model()
    manager = model._default_manager
    field, address = email_field_name(model), normalize_email(email)
    if field is None or not address:
        return manager.none()
    return manager.alias(marketplace_email=Lower(field)).filter(marketplace_email=address)


def active_users_with_email(email: str | None) -> QuerySet[Any]:
    """:func:`users_with_email`, without inactive users (models without an
    ``is_active`` field count every user as active)."""
    users = users_with_email(email)
    return users.filter(is_active=True) if _concrete_field(users.model, "is_active") else users


def find_by_email(email: str | None, *, active: bool = False) -> Any | None:
    """The one user with this address (only among active users with
    ``active=True``), or ``None``.

    An address several accounts share (a user model whose email field is not
    unique) finds nobody: it cannot say which person is meant.
    """
    users = active_users_with_email(email) if active else users_with_email(email)
    found = list(users[:2])
    return found[0] if len(found) == 1 else None


def is_active(user: Any) -> bool:
    """``user.is_active``; models without the field count every user as active."""
    return bool(getattr(user, "is_active", True))


def _username_for(model: Any, email: str) -> str:
    """A free value for a ``USERNAME_FIELD`` that is not the email field: the
    address itself when the field accepts it, else ``user-<random>``."""
    field = model._meta.get_field(model.USERNAME_FIELD)
    limit = getattr(field, "max_length", None) or 150
    manager = model._default_manager
    candidates = [email[:limit]] + [f"user-{secrets.token_hex(6)}" for _ in range(3)]
    for candidate in candidates:
        try:
            field.run_validators(candidate)
        except ValidationError:
            continue
        if not manager.filter(**{f"{model.USERNAME_FIELD}__iexact": candidate}).exists():
            return candidate
    raise ValueError(f"No free {model.USERNAME_FIELD} found for a new account.")


def new_user_fields(email: str, name: str = "") -> dict[str, Any]:
    """Keyword arguments for ``create_user`` (or the model's constructor) of a
    user with this address and name, in the user model's own field names.

    The name goes into the model only when it has :data:`NAME_FIELD`; callers
    keep it in ``Account.display_name`` otherwise (:func:`.records.set_shop_name`).
    """
    model = get_user_model()
    email_field = email_field_name(model)
    if email_field is None:
        raise ValueError("The user model has no email field.")
    fields: dict[str, Any] = {email_field: normalize_email(email)}
    if email_field != model.USERNAME_FIELD:
        fields[model.USERNAME_FIELD] = _username_for(model, fields[email_field])
    if own_name_field(model):
        fields[NAME_FIELD] = name
    return fields


def unsaved_user(email: str, name: str = "") -> User:
    """A user that is not saved (for password validators that compare the
    password with the user's attributes)."""
    model = get_user_model()
    field = email_field_name(model) or "email"
    values: dict[str, Any] = {field: normalize_email(email)}
    if own_name_field(model):
        values[NAME_FIELD] = name
    user: Model = model(**values)
    return user  # type: ignore[return-value]


def create_user(email: str, password: str | None, name: str = "") -> User:
    """Create a user through ``get_user_model()._default_manager.create_user``
    with the model's field names; the name is stored as the shop name."""
    from marketplace_core.people.records import set_shop_name

    model = get_user_model()
    user: User = model._default_manager.create_user(
        password=password, **new_user_fields(email, name))
    if name and not own_name_field(model):
        set_shop_name(user, name)
    return user
