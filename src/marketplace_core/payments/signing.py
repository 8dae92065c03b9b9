"""Standard Webhooks signing and verification (https://www.standardwebhooks.com).

Shared by core's dummy provider, provider plugins and the test fakes, so every
provider verifies the same way: raw body, ``webhook-id``/``webhook-timestamp``/
``webhook-signature`` headers, several secrets accepted for rotation.
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _LibError

from marketplace_core.payments.providers import WebhookVerificationError

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"


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
    """The three Standard Webhooks headers for ``body`` signed with ``secret``."""
    when = timestamp or dt.datetime.now(tz=dt.UTC)
    text = body.decode() if isinstance(body, bytes) else body
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(int(when.timestamp())),
        HEADER_SIGNATURE: Webhook(secret).sign(msg_id, when.astimezone(dt.UTC), text),
    }


def verify(body: bytes, headers: Mapping[str, str], secrets: Iterable[str]) -> Any:
    """Check ``body`` against any of ``secrets`` and return the parsed JSON.

    Raises :class:`WebhookVerificationError` with a short reason when headers
    are missing, the timestamp is more than five minutes off, no secret matches
    or the verified body is not JSON.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    wanted = (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)
    if not all(lowered.get(h) for h in wanted):
        raise WebhookVerificationError("missing webhook headers")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookVerificationError("body is not UTF-8") from exc
    last_error = "no signing secret configured"
    for secret in secrets:
        try:
            Webhook(secret).verify(text, lowered, json_parse=False)
        except _LibError as exc:
            last_error = str(exc).lower()
            if "timestamp" in last_error:
                break  # the same for every secret
            continue
        except (ValueError, binascii.Error):
            last_error = "malformed signature header"
            continue
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise WebhookVerificationError("body is not valid JSON") from exc
    raise WebhookVerificationError(last_error)


def request_headers(meta: Mapping[str, Any]) -> dict[str, str]:
    """The webhook headers of a Django ``request.META``."""
    return {
        name: str(meta.get("HTTP_" + name.upper().replace("-", "_"), ""))
        for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)
    }
