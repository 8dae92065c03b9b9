"""Creating, revoking and checking API keys: the only writers of :class:`ApiKey`."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from marketplace_core.api_keys.models import ApiKey
from marketplace_core.roles import is_seller

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Every token starts with this, so leaked keys are easy to recognise (secret scanners).
TOKEN_PREFIX = "mkp_"  # noqa: S105  (a marker, not a secret)
#: How many characters of the token the lists show.
SHOWN_PREFIX_LENGTH = 12
#: ``last_used_at`` is written at most this often per key.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of ``token``: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A key just created: ``token`` is shown to the seller once and never again."""

    key: ApiKey
    token: str


def create_key(seller: User, *, name: str, scope: str) -> NewKey:
    """A new key of ``seller`` named ``name`` with ``scope`` (``"read"`` or ``"write"``):
    256 random bits after :data:`TOKEN_PREFIX`."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        seller=seller, name=name.strip(), scope=ApiKey.Scope(scope),
        prefix=token[:SHOWN_PREFIX_LENGTH], secret_hash=hash_token(token),
    )
    return NewKey(key=key, token=token)


def revoke_key(key: ApiKey) -> None:
    """Revoke ``key`` (idempotent: a revoked key keeps its first revocation time)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate(token: str) -> ApiKey | None:
    """The live key whose token is ``token``, with its ``seller`` loaded, or ``None``.

    ``None`` for an unknown or revoked token and for a key whose seller is no
    longer an active user with the seller role. The token's hash is looked up
    by index and compared again in constant time. Records ``last_used_at`` at
    most once per :data:`LAST_USED_RESOLUTION`.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    key = (ApiKey.objects.select_related("seller")
           .filter(secret_hash=digest, revoked_at__isnull=True).first())
    if key is None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    if not key.seller.is_active or not is_seller(key.seller):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
