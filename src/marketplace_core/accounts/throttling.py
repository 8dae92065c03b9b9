"""Rate limits on account actions, counted by django-ratelimit in the default cache.

- failed logins for one account, per (typed email, client address):
  ``LOGIN_FAILURE_LIMIT`` per ``LOGIN_FAILURE_WINDOW`` seconds;
- per client address, across accounts, ``ADDRESS_RATE_LIMITS[action]`` for
  ``login_failures``, ``registrations``, ``password_resets`` (requests) and
  ``verification_emails``.

Windows are django-ratelimit's fixed windows: once a limit is reached, the key is
refused until its window ends (at most one period; each key's windows start at
their own offset). Unknown and known emails are counted alike. A successful
login starts the pair's count afresh and a password reset does so for every
address of the account (a generation number is part of the key). IPv6 clients
are counted by /64 network (:func:`~.client_ip.rate_limit_key`).

While the default cache is unreachable every count is kept in this process
(:mod:`.cache_fallback`): limits still hold, per process, and nothing fails.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass

from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django_ratelimit.core import get_usage

from marketplace_core.accounts.cache_fallback import default_cache
from marketplace_core.accounts.client_ip import rate_limit_key
from marketplace_core.conf import conf
from marketplace_core.people.users import normalize_email

_PREFIX = "marketplace:login-throttle"
_SALT = "marketplace_core.accounts.throttling"
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: object) -> tuple[int, int] | None:
    """``"20/15m"`` -> ``(20, 900)``: a count of at least 1 per a period of seconds.

    ``None`` when ``rate`` is not of that form (``count/[multiplier]unit``, unit
    one of ``s``, ``m``, ``h``, ``d``, as django-ratelimit writes rates).
    """
    match = _RATE.match(rate) if isinstance(rate, str) else None
    if match is None:
        return None
    count, multiplier, unit = int(match[1]), int(match[2] or 1), match[3]
    if count < 1 or multiplier < 1:
        return None
    return count, multiplier * _PERIODS[unit]


def _digest(*parts: str) -> str:
    return salted_hmac(_SALT, "\n".join(parts), algorithm="sha256").hexdigest()[:32]


@dataclass(frozen=True)
class Usage:
    """How much of a limit one key has used in its current window."""

    count: int
    limit: int
    #: Seconds until the window ends (and the count starts again), at least 1.
    retry_after: int

    @property
    def exhausted(self) -> bool:
        """No attempt is left in this window."""
        return self.count >= self.limit

    @property
    def exceeded(self) -> bool:
        """This attempt (already counted) went over the limit."""
        return self.count > self.limit


@dataclass(frozen=True)
class RateLimit:
    """One limit: ``count`` events per ``period`` seconds for each key, in ``group``."""

    group: str
    count: int
    period: int

    @classmethod
    def per_address(cls, action: str) -> RateLimit:
        """The limit of ``ADDRESS_RATE_LIMITS[action]`` (checked by ``marketplace_core.E030``)."""
        count, period = parse_rate(conf.ADDRESS_RATE_LIMITS[action]) or (1, 1)
        return cls(f"marketplace.address.{action}", count, period)

    def usage(self, key: str, *, increment: bool) -> Usage:
        """This key's usage, after counting one more event when ``increment``."""
        return default_cache.run(
            lambda _shared: self._shared_usage(key, increment),
            local=lambda cache: self._local_usage(cache, key, increment),
        )

    def hit(self, request: HttpRequest) -> Usage:
        """Count one event of the request's client address."""
        return self.usage(rate_limit_key(request), increment=True)

    def peek(self, request: HttpRequest) -> Usage:
        return self.usage(rate_limit_key(request), increment=False)

    def _shared_usage(self, key: str, increment: bool) -> Usage:
        usage = get_usage(None, group=self.group, key=lambda _group, _request: key,
                          rate=f"{self.count}/{self.period}s", increment=increment)
        if usage is None:  # RATELIMIT_ENABLE = False
            return Usage(0, self.count, 1)
        # django-ratelimit answers limit 0 and time_left -1 when the cache lost the count.
        return Usage(int(usage["count"]), int(usage["limit"]) or self.count,
                     max(1, int(usage["time_left"])))

    def _local_usage(self, cache: BaseCache, key: str, increment: bool) -> Usage:
        now = int(time.time())
        window_end = now - now % self.period + self.period
        cache_key = f"{self.group}:{_digest(key)}:{window_end}"
        if increment:
            cache.add(cache_key, 0, timeout=self.period + 1)
            count = cache.incr(cache_key)
        else:
            count = cache.get(cache_key, 0)
        return Usage(int(count), self.count, max(1, window_end - now))


def _generation_key(*parts: str) -> str:
    return f"{_PREFIX}:generation:{_digest(*parts)}"


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is checked."""

    #: ``"account"`` (this email from this address) or ``"address"`` (any email).
    scope: str
    retry_after: int


@dataclass(frozen=True)
class LoginThrottle:
    """The failure limits of one login attempt: its (email, address) pair and its address."""

    email: str
    address: str

    @classmethod
    def for_attempt(cls, request: HttpRequest, email: str) -> LoginThrottle:
        return cls(email=normalize_email(email), address=rate_limit_key(request))

    @staticmethod
    def pair_limit() -> RateLimit:
        return RateLimit("marketplace.login.pair", conf.LOGIN_FAILURE_LIMIT,
                         conf.LOGIN_FAILURE_WINDOW)

    def _pair_key(self) -> str:
        account, pair = _generation_key(self.email), _generation_key(self.email, self.address)
        generations = default_cache.run(lambda cache: cache.get_many([account, pair]))
        return _digest(self.email, self.address, str(generations.get(account, "0")),
                       str(generations.get(pair, "0")))

    def refusal(self) -> Refusal | None:
        """Whether this attempt must be refused, and for how long; ``None`` to go on."""
        pair = self.pair_limit().usage(self._pair_key(), increment=False)
        if pair.exhausted:
            return Refusal("account", pair.retry_after)
        address = RateLimit.per_address("login_failures").usage(self.address, increment=False)
        if address.exhausted:
            return Refusal("address", address.retry_after)
        return None

    def record_failure(self) -> None:
        """Count a wrong password against the pair and the address."""
        self.pair_limit().usage(self._pair_key(), increment=True)
        RateLimit.per_address("login_failures").usage(self.address, increment=True)

    def reset(self) -> None:
        """Start this pair's count afresh (after a successful login)."""
        _new_generation(_generation_key(self.email, self.address))

    @staticmethod
    def unlock_account(email: str) -> None:
        """Start the counts of ``email`` afresh, from every address (after a password reset)."""
        _new_generation(_generation_key(normalize_email(email)))


def _new_generation(key: str) -> None:
    token = secrets.token_hex(8)
    timeout = conf.LOGIN_FAILURE_WINDOW + 60  # older counts have expired by then
    default_cache.run(lambda cache: cache.set(key, token, timeout=timeout))


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, for messages ("try again in 15 minutes")."""
    return max(1, math.ceil(seconds / 60))


def too_many_requests(response: HttpResponse, retry_after: int) -> HttpResponse:
    """``response`` (the page explaining the refusal) as HTTP 429 with ``Retry-After``."""
    response.status_code = 429
    response["Retry-After"] = str(max(1, retry_after))
    return response
