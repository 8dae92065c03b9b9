"""Standard Webhooks signing and verification (https://www.standardwebhooks.com).

Shared by core's dummy provider, provider plugins and the test fakes, so every
provider verifies the same way: the ``standardwebhooks`` reference library
checks the raw body against the ``webhook-id``/``webhook-timestamp``/
``webhook-signature`` headers (timestamps within five minutes, constant-time
comparison); this module adds the checks around it (several secrets accepted
for rotation, bounded ids, clear reasons) and turns every failure into
:class:`~marketplace_core.payments.providers.WebhookVerificationError`.
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from itertools import accumulate
from typing import Any

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _LibraryError

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


def _webhook(secret: str) -> Webhook | None:
    """The library's verifier for ``secret``; ``None`` when the secret is unusable."""
    try:
        return Webhook(secret)
    except (EmptyWebhookSecretError, binascii.Error, ValueError):
        return None


def sign(
    secret: str, msg_id: str, body: bytes | str, *, timestamp: dt.datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` signed with ``secret``.

    Raises :class:`ValueError` when ``secret`` is not usable base64 or ``body``
    is not UTF-8 text (Standard Webhooks payloads are JSON).
    """
    webhook = _webhook(secret)
    if webhook is None:
        raise ValueError("webhook signing secret is empty or not base64")
    when = (timestamp or dt.datetime.now(tz=dt.UTC)).astimezone(dt.UTC)
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(int(when.timestamp())),
        HEADER_SIGNATURE: webhook.sign(msg_id, when, text),
    }


def verify(body: bytes, headers: Mapping[str, str], secrets: Iterable[str]) -> Any:
    """Check ``body`` against any of ``secrets`` and return the parsed JSON.

    The signature is checked over the raw body before anything is parsed.
    Raises :class:`WebhookVerificationError` with a short reason when a header
    is missing or malformed (a ``webhook-id`` over 255 characters included),
    the timestamp is more than five minutes off, no ``v1`` signature matches
    any secret, or the verified body is not UTF-8 JSON that :func:`parse_json`
    accepts.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if not all(lowered.get(name) for name in _HEADERS):
        raise WebhookVerificationError("missing webhook headers")
    if len(lowered[HEADER_ID]) > MAX_ID_LENGTH:
        raise WebhookVerificationError("webhook-id is too long")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookVerificationError("body is not UTF-8") from exc
    verifiers = [w for w in (_webhook(secret) for secret in secrets) if w is not None]
    if not verifiers:
        raise WebhookVerificationError("no signing secret configured")
    for verifier in verifiers:
        try:
            verifier.verify(text, lowered, json_parse=False)
        except _LibraryError as exc:
            reason = str(exc).lower()
            if "signature" in reason and "headers" not in reason:
                continue  # this secret does not match; try the next one
            raise WebhookVerificationError(reason) from exc  # the same for every secret
        except (ValueError, UnicodeEncodeError) as exc:  # "v1" without a comma, bad base64
            raise WebhookVerificationError("malformed signature header") from exc
        return parse_json(text)
    raise WebhookVerificationError("no matching signature")


#: Deepest nesting of arrays and objects a webhook body may have. Payment
#: events nest a few levels; the limit keeps a signed body of 100,000 nested
#: arrays from exhausting the parser's recursion (a 500 the service retries).
MAX_JSON_DEPTH = 64

#: JSON string literals (skipped when counting brackets), and runs of anything but brackets.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether arrays and objects in JSON ``text`` nest deeper than ``limit``."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the usual body: too few brackets to nest that deep
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str) -> Any:
    """The value of a verified JSON body, or :class:`WebhookVerificationError`.

    Stricter than :func:`json.loads` where a signed body could otherwise crash
    the endpoint: nesting deeper than :data:`MAX_JSON_DEPTH`, integer literals
    longer than Python converts (4300 digits), and the non-JSON constants
    ``NaN``/``Infinity`` are refused with a reason. Providers with their own
    signing scheme parse their verified bodies with it too.
    """
    if _nesting_exceeds(text, MAX_JSON_DEPTH):
        raise WebhookVerificationError(f"body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError, or a number too long to convert
        reason = "a number is too long" if "digits" in str(exc) else str(exc)[:120]
        raise WebhookVerificationError(f"body is not valid JSON: {reason}") from exc


def request_headers(meta: Mapping[str, Any]) -> dict[str, str]:
    """The webhook headers of a Django ``request.META``."""
    return {
        name: str(meta.get("HTTP_" + name.upper().replace("-", "_"), ""))
        for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)
    }
