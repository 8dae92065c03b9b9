"""Standard Webhooks signing and verification (https://www.standardwebhooks.com).

Shared by core's dummy provider, provider plugins and the test fakes, so every
provider verifies the same way: raw body, ``webhook-id``/``webhook-timestamp``/
``webhook-signature`` headers, several secrets accepted for rotation.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from marketplace_core.conf import conf
from marketplace_core.payments.providers import WebhookVerificationError

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
_HEADERS = (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)
#: Longest ``webhook-id`` accepted (what the delivery log stores).
MAX_ID_LENGTH = 255


def is_valid_secret(secret: str) -> bool:
    """Whether ``secret`` looks like a ``whsec_<base64>`` signing secret."""
    if not secret or not secret.startswith("whsec_"):
        return False
    try:
        return bool(binascii.a2b_base64(secret[6:] + "=="))
    except (binascii.Error, ValueError):
        return False


def sign(
    secret: str, msg_id: str, body: bytes | str, *, timestamp: dt.datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` signed with ``secret``.

    Raises :class:`ValueError` when ``secret`` is not usable base64.
    """
    key = _secret_bytes(secret)
    if key is None:
        raise ValueError("webhook signing secret is empty or not base64")
    when = str(int((timestamp or dt.datetime.now(tz=dt.UTC)).timestamp()))
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(key, f"{msg_id}.{when}.".encode() + raw, hashlib.sha256).digest()
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: when,
        HEADER_SIGNATURE: "v1," + base64.b64encode(mac).decode(),
    }


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Iterable[str],
    *,
    tolerance: int | None = None,
    now: dt.datetime | None = None,
) -> Any:
    """Check ``body`` against any of ``secrets`` and return the parsed JSON.

    The signature is checked over the raw bytes before anything is parsed.
    Raises :class:`WebhookVerificationError` with a short reason when a header
    is missing or malformed (a ``webhook-id`` over 255 characters included),
    the timestamp is more than ``tolerance`` seconds (default
    ``MARKETPLACE["WEBHOOK_TOLERANCE"]``, five minutes) from ``now``, no
    ``v1`` signature matches any secret, or the verified body is not UTF-8 JSON.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, timestamp, signatures = (lowered.get(h) for h in _HEADERS)
    if not (msg_id and timestamp and signatures):
        raise WebhookVerificationError("missing webhook headers")
    if len(msg_id) > MAX_ID_LENGTH:
        raise WebhookVerificationError("webhook-id is too long")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise WebhookVerificationError("malformed webhook-timestamp header")
    if tolerance is None:
        tolerance = conf.WEBHOOK_TOLERANCE
    current = int((now or dt.datetime.now(tz=dt.UTC)).timestamp())
    if int(timestamp) < current - tolerance:
        raise WebhookVerificationError("message timestamp too old")
    if int(timestamp) > current + tolerance:
        raise WebhookVerificationError("message timestamp too new")
    given = _v1_signatures(signatures)
    try:
        signed = f"{msg_id}.{timestamp}.".encode() + body
    except UnicodeEncodeError as exc:
        raise WebhookVerificationError("malformed webhook-id header") from exc
    keys = [key for key in (_secret_bytes(secret) for secret in secrets) if key]
    if not keys:
        raise WebhookVerificationError("no signing secret configured")
    expected = [hmac.new(key, signed, hashlib.sha256).digest() for key in keys]
    # Compare every pair so the time taken does not reveal which one matched.
    matched = False
    for mac in expected:
        for candidate in given:
            matched |= hmac.compare_digest(mac, candidate)
    if not matched:
        raise WebhookVerificationError("no matching signature")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WebhookVerificationError("body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise WebhookVerificationError("body is not valid JSON") from exc


def _v1_signatures(header: str) -> list[bytes]:
    """The decoded ``v1`` signatures of a ``webhook-signature`` header.

    The header is a space-separated list of ``<version>,<base64>`` entries;
    other versions (such as ``v1a``, asymmetric) are skipped.
    """
    found: list[bytes] = []
    for entry in header.split():
        version, comma, encoded = entry.partition(",")
        if not comma:
            raise WebhookVerificationError("malformed signature header")
        if version != "v1":
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError("malformed signature header") from exc
    if not found:
        raise WebhookVerificationError("no v1 signature")
    return found


def _secret_bytes(secret: str) -> bytes | None:
    """The key of a ``whsec_<base64>`` (or bare base64) secret; ``None`` if unusable.

    Decoded like the reference ``standardwebhooks`` library does (padding
    optional), so both sides agree on the key.
    """
    if not secret:
        return None
    try:
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    except (binascii.Error, ValueError):
        return None
    return key or None


def request_headers(meta: Mapping[str, Any]) -> dict[str, str]:
    """The webhook headers of a Django ``request.META``."""
    return {
        name: str(meta.get("HTTP_" + name.upper().replace("-", "_"), ""))
        for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)
    }
