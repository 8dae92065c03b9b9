"""Account services: register, ask for verification and reset emails, confirm an address.

Emails are sent by Celery tasks (:mod:`.tasks`) enqueued when the surrounding
transaction commits, so a worker never looks for a user that is not saved yet.
Repeated requests within ``ACCOUNT_EMAIL_COOLDOWN`` seconds send nothing (a
shared cache makes that hold across processes; while it is down, per process).
"""

from __future__ import annotations

import enum
import logging
import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password
from django.core.cache.backends.base import BaseCache
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from marketplace_core.accounts.cache_fallback import default_cache
from marketplace_core.accounts.tasks import (
    send_password_reset_email,
    send_registration_attempt_email,
    send_verification_email,
)
from marketplace_core.accounts.tokens import (
    TokenCheck,
    TokenStatus,
    email_verification_tokens,
)
from marketplace_core.conf import conf
from marketplace_core.guests.attach import attach_guest_purchases
from marketplace_core.people.records import is_email_verified, mark_email_verified
from marketplace_core.people.users import (
    create_user,
    email_of,
    normalize_email,
    users_with_email,
)
from marketplace_core.transactions import after_commit

if TYPE_CHECKING:
    from marketplace_core.accounts.forms import Registration
    from marketplace_core.people.types import User

logger = logging.getLogger(__name__)


class VerificationRequest(enum.Enum):
    SENT = "sent"
    ALREADY_VERIFIED = "already_verified"
    TOO_SOON = "too_soon"
    NO_ADDRESS = "no_address"  # the user has no email address to verify


@dataclass(frozen=True)
class VerificationOutcome:
    result: VerificationRequest
    #: With TOO_SOON: seconds until another email may be asked for.
    retry_after: int = 0


def _cooldown(key: str) -> int:
    """0 and start a cooldown for ``key``, or the seconds left of the running one."""
    seconds = conf.ACCOUNT_EMAIL_COOLDOWN
    if seconds <= 0:
        return 0

    def claim(cache: BaseCache) -> float | None:
        now = time.time()
        if cache.add(key, now + seconds, timeout=seconds):
            return None
        until = cache.get(key)
        if until is None or float(until) <= now:
            # Past its deadline by this process's clock although the cache still
            # holds it (Redis expires keys by its own clock): a new cooldown.
            cache.set(key, now + seconds, timeout=seconds)
            return None
        return float(until)

    until = default_cache.run(claim)
    return max(1, math.ceil(until - time.time())) if until is not None else 0


def _address_digest(purpose: str, email: str) -> str:
    return salted_hmac(f"marketplace_core.accounts.{purpose}", normalize_email(email),
                       algorithm="sha256").hexdigest()[:32]


def register_customer(registration: Registration, base_url: str) -> None:
    """Create a customer account for ``registration`` and email a verification
    link, or, when its address already has an account, email that account's
    owner instead.

    The caller cannot tell which happened: registration must not reveal which
    addresses have accounts. Either way the password is hashed once (the slow
    part) and one email is queued. The user is created through the user
    model's ``create_user`` (:func:`marketplace_core.people.users.create_user`).
    """
    try:
        with transaction.atomic():
            taken = users_with_email(registration.email).exists()
            if not taken:
                user = create_user(registration.email, registration.password, registration.name)
    except IntegrityError:  # registered by a concurrent request since the check
        taken = True
    if taken:
        make_password(registration.password)  # the work create_user would have done
        request_registration_attempt_email(registration.email, base_url)
    else:
        request_verification_email(user, base_url)


def request_registration_attempt_email(email: str, base_url: str) -> None:
    """Tell the owner of ``email`` that someone tried to register with it, at most
    once per ``ACCOUNT_EMAIL_COOLDOWN``."""
    if _cooldown(f"marketplace:registration-attempt:{_address_digest('registration', email)}"):
        return
    after_commit(send_registration_attempt_email.delay, normalize_email(email), base_url)


def request_verification_email(user: User, base_url: str) -> VerificationOutcome:
    """Send ``user`` a verification link, unless verified or asked too recently."""
    if not email_of(user):
        return VerificationOutcome(VerificationRequest.NO_ADDRESS)
    if is_email_verified(user):
        return VerificationOutcome(VerificationRequest.ALREADY_VERIFIED)
    wait = _cooldown(f"marketplace:verify-email:{user.pk}")
    if wait:
        return VerificationOutcome(VerificationRequest.TOO_SOON, retry_after=wait)
    # robust: a broker outage must not undo a registration; the user can resend.
    after_commit(send_verification_email.delay, user.pk, base_url)
    return VerificationOutcome(VerificationRequest.SENT)


def request_password_reset(email: str, base_url: str) -> None:
    """Email a reset link if ``email`` has an account; the caller learns nothing.

    Whether the account exists is decided by the task, so this does the same
    work (one enqueue, or nothing during the cooldown) for every address.
    """
    email = normalize_email(email)
    if _cooldown(f"marketplace:password-reset:{_address_digest('password-reset', email)}"):
        return
    after_commit(send_password_reset_email.delay, email, base_url)


def confirm_email(token: str) -> TokenCheck:
    """Check a verification token and, when valid, mark the address verified and
    move the purchases of guests with that address to the user (``attached``
    says how many active ones it gained)."""
    check = email_verification_tokens.check(token)
    if not check.valid or check.user is None:
        return check
    user = check.user
    # Conditional update: of two concurrent clicks, only one verifies.
    if not mark_email_verified(user, check.email):
        return TokenCheck(TokenStatus.USED, user)
    logger.info("Email address of user %s verified", user.pk)
    return replace(check, attached=attach_guest_purchases(user, check.email))
