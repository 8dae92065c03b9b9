"""Login throttling: per account *and* per client address, in the cache.

After ``LOGIN_FAILURE_LIMIT`` failed logins for one email address from one
client address within ``LOGIN_FAILURE_WINDOW`` seconds (counted from the first
failure), that pair is refused for ``LOGIN_LOCKOUT`` seconds, even with the
right password. Keys combine the typed email and the address, so

- someone failing from another address cannot lock the real user out, and
- unknown and known emails behave alike (nothing tells whether an account exists).

A password reset unlocks the account from every address (a generation number is
part of each key). The counters live in Django's default cache, which must be
shared by all web processes (Redis in production); a per-process cache such as
``LocMemCache`` gives each process its own counters.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from marketplace_core.accounts.client_ip import client_ip
from marketplace_core.accounts.models import UserManager
from marketplace_core.conf import conf

_PREFIX = "marketplace:login-throttle"
_SALT = "marketplace_core.accounts.throttling"


def _digest(*parts: str) -> str:
    return salted_hmac(_SALT, "\n".join(parts), algorithm="sha256").hexdigest()[:32]


def _generation_key(email: str) -> str:
    return f"{_PREFIX}:generation:{_digest(email)}"


@dataclass(frozen=True)
class LoginThrottle:
    """The failure counter and lock of one (email, client address) pair."""

    email: str
    address: str

    @classmethod
    def for_attempt(cls, request: HttpRequest, email: str) -> LoginThrottle:
        return cls(email=UserManager.normalize_email(email), address=client_ip(request))

    def _key(self, kind: str) -> str:
        generation = str(cache.get(_generation_key(self.email), "0"))
        return f"{_PREFIX}:{kind}:{_digest(self.email, self.address, generation)}"

    def locked_for(self) -> int:
        """Seconds until this pair may try again; ``0`` when it may now."""
        until = cache.get(self._key("lock"))
        if until is None:
            return 0
        return max(0, math.ceil(float(until) - time.time()))

    def record_failure(self) -> int:
        """Count a failed attempt; returns the lock in seconds if this one set it, else 0."""
        key = self._key("failures")
        cache.add(key, 0, timeout=conf.LOGIN_FAILURE_WINDOW)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=conf.LOGIN_FAILURE_WINDOW)
            failures = 1
        if failures < conf.LOGIN_FAILURE_LIMIT:
            return 0
        lockout = conf.LOGIN_LOCKOUT
        cache.set(self._key("lock"), time.time() + lockout, timeout=lockout)
        cache.delete(key)
        return lockout

    def reset(self) -> None:
        """Forget this pair's failures (after a successful login)."""
        cache.delete_many([self._key("failures"), self._key("lock")])

    @staticmethod
    def unlock_account(email: str) -> None:
        """Void every counter and lock of ``email``, from every address."""
        timeout = max(conf.LOGIN_FAILURE_WINDOW, conf.LOGIN_LOCKOUT)
        cache.set(_generation_key(UserManager.normalize_email(email)), secrets.token_hex(8),
                  timeout=timeout)


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, for messages ("try again in 15 minutes")."""
    return max(1, math.ceil(seconds / 60))
