"""One-time, expiring tokens for email verification and password reset links.

Both bind the token to the state it changes, so a token works once:

- email verification: signed (``django.core.signing``) user id plus a keyed hash of
  the address and whether it is verified; expires after ``EMAIL_VERIFICATION_TTL``
  (at most 24 hours). Verifying the address voids the token.
- password reset: Django's token (keyed hash of the password hash, last login and
  email), with ``PASSWORD_RESET_TTL`` (at most an hour) as the lifetime; setting
  the new password voids it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int

from marketplace_core.conf import conf
from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import email_of


class TokenStatus(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"  # tampered, malformed or for an address that changed
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    user: Any = None  # an instance of the user model
    #: With a valid token: the address it was made for (the user's current one).
    email: str = ""
    #: After a verification: active guest purchases moved to the user.
    attached: int = 0

    @property
    def valid(self) -> bool:
        return self.status is TokenStatus.VALID


class EmailVerificationTokens:
    """Make and check email verification tokens (URL-safe strings)."""

    salt = "marketplace_core.accounts.email-verification"

    def _state(self, user: Any) -> str:
        value = f"{user.pk}\n{email_of(user)}\n{int(is_email_verified(user))}"
        return salted_hmac(self.salt, value, algorithm="sha256").hexdigest()[:32]

    def make(self, user: Any) -> str:
        pk = user.pk if isinstance(user.pk, int) else str(user.pk)  # JSON: a UUID as text
        return signing.dumps({"u": pk, "s": self._state(user)}, salt=self.salt)

    def check(self, token: str) -> TokenCheck:
        try:
            data: Any = signing.loads(token, salt=self.salt,
                                      max_age=conf.EMAIL_VERIFICATION_TTL)
        except signing.SignatureExpired:
            return TokenCheck(TokenStatus.EXPIRED)
        except signing.BadSignature:
            return TokenCheck(TokenStatus.INVALID)
        if not isinstance(data, dict) or not isinstance(data.get("u"), int | str):
            return TokenCheck(TokenStatus.INVALID)
        try:
            user = get_user_model()._default_manager.filter(pk=data["u"]).first()
        except (TypeError, ValueError, ValidationError):  # signed by us for another user model
            return TokenCheck(TokenStatus.INVALID)
        if user is None or not getattr(user, "is_active", True) or not email_of(user):
            return TokenCheck(TokenStatus.INVALID)
        if constant_time_compare(str(data.get("s", "")), self._state(user)):
            return TokenCheck(TokenStatus.VALID, user, email_of(user))
        # The signature is ours, so the state moved on: verified since, or a new address.
        status = TokenStatus.USED if is_email_verified(user) else TokenStatus.INVALID
        return TokenCheck(status, user)


class PasswordResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens with ``MARKETPLACE["PASSWORD_RESET_TTL"]`` as lifetime
    (Django's own ``PASSWORD_RESET_TIMEOUT`` still applies when it is shorter)."""

    key_salt = "marketplace_core.accounts.tokens.PasswordResetTokens"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not super().check_token(user, token):
            return False
        assert token is not None
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= conf.PASSWORD_RESET_TTL


email_verification_tokens = EmailVerificationTokens()
password_reset_tokens = PasswordResetTokens()


def verification_link_hours() -> int:
    """How many hours a verification link lives, as pages and emails state it (at least 1)."""
    return max(1, conf.EMAIL_VERIFICATION_TTL // 3600)


def reset_link_minutes() -> int:
    """How many minutes a password-reset link lives, as pages and emails state it (at least 1)."""
    return max(1, conf.PASSWORD_RESET_TTL // 60)
