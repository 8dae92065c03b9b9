"""Single-use, expiring login links for guests.

A guest has no password: an emailed link is how they log in ("My purchases",
the link in a receipt). The token is signed (``django.core.signing``, with its
timestamp) and carries a keyed hash of the state a login changes (Django's
``last_login``, as its password-reset token uses it) plus the password hash and
address: following the link once logs the guest in and voids it. A claimed
identity (no longer a guest) voids it too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, login
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from marketplace_core.accounts.backends import password_backend
from marketplace_core.accounts.tokens import TokenCheck, TokenStatus
from marketplace_core.conf import conf
from marketplace_core.guests.identities import is_guest
from marketplace_core.people.records import mark_email_verified
from marketplace_core.people.users import email_of

_SALT = "marketplace_core.guests.login-link"


def login_state(user: Any) -> str:
    """A keyed hash of what a login of ``user`` changes (and of its guest flag):
    a token that carries it works until the next login."""
    last_login = getattr(user, "last_login", None)
    stamp = "" if last_login is None else last_login.replace(microsecond=0,
                                                              tzinfo=None).isoformat()
    value = f"{user.pk}\n{user.password}\n{stamp}\n{email_of(user)}\n{int(is_guest(user))}"
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()[:32]


def state_matches(user: Any, state: str) -> bool:
    """Whether ``state`` (from :func:`login_state`) still holds for guest ``user``."""
    return bool(state) and is_guest(user) and constant_time_compare(state, login_state(user))


def make_token(user: Any) -> str:
    """A login token for guest ``user``."""
    pk = user.pk if isinstance(user.pk, int) else str(user.pk)
    return signing.dumps({"u": pk, "s": login_state(user)}, salt=_SALT)


def check_token(token: str, *, lock: bool = False) -> TokenCheck:
    """What ``token`` says: valid (with the guest), used, expired or invalid.

    It lives ``GUEST_LINK_TTL`` seconds. ``lock`` reads
    the user ``select_for_update`` (inside a transaction: two requests with one
    token then log in once).
    """
    try:
        data: Any = signing.loads(token, salt=_SALT, max_age=conf.GUEST_LINK_TTL)
    except signing.SignatureExpired:
        return TokenCheck(TokenStatus.EXPIRED)
    except signing.BadSignature:
        return TokenCheck(TokenStatus.INVALID)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int | str):
        return TokenCheck(TokenStatus.INVALID)
    users = get_user_model()._default_manager.filter(pk=data["u"])
    try:
        user = (users.select_for_update() if lock else users).first()
    except (TypeError, ValueError, ValidationError):
        return TokenCheck(TokenStatus.INVALID)
    if user is None or not getattr(user, "is_active", True):
        return TokenCheck(TokenStatus.INVALID)
    if not state_matches(user, str(data.get("s", ""))):
        return TokenCheck(TokenStatus.USED, user)
    return TokenCheck(TokenStatus.VALID, user, email_of(user))


def _log_in(request: HttpRequest, user: Any) -> Any:
    login(request, user, backend=password_backend())  # moves last_login on: the link is used
    mark_email_verified(user)  # the link reached this address
    return user


def log_guest_in(request: HttpRequest, token: str) -> Any:
    """Log in the guest ``token`` names if it is still valid; the user, else ``None``.

    The user row is locked while the token is checked and the login recorded,
    so of two requests with one token only the first logs in.
    """
    with transaction.atomic():
        check = check_token(token, lock=True)
        if check.status is not TokenStatus.VALID:
            return None
        return _log_in(request, check.user)


def log_in_by_state(request: HttpRequest, user_id: Any, state: str) -> Any:
    """:func:`log_guest_in` for a link that carries :func:`login_state` itself
    (a receipt's, signed with its own lifetime)."""
    with transaction.atomic():
        user = get_user_model()._default_manager.select_for_update().filter(pk=user_id).first()
        if user is None or not getattr(user, "is_active", True) or not state_matches(user, state):
            return None
        return _log_in(request, user)


def link_path(user: Any) -> str:
    """The site-relative "My purchases" login link of guest ``user``."""
    return reverse("marketplace:guest_purchases_login", kwargs={"token": make_token(user)})


def lifetime_minutes() -> int:
    return max(1, conf.GUEST_LINK_TTL // 60)
