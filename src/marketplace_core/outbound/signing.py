"""Signing secrets and Standard Webhooks signatures (through ``standardwebhooks``).

During the 24 hours after a rotation a message carries two signatures in its
``webhook-signature`` header, one per secret (the scheme allows several,
space-separated), so receivers that still have the old secret keep verifying.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

from marketplace_core.outbound.models import WebhookEndpoint

#: How long the previous secret keeps signing after a rotation.
ROTATION_OVERLAP = dt.timedelta(hours=24)


def new_secret() -> str:
    """A new random secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signing_secrets(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    """The secrets that sign at ``now``: the current one, and the previous one
    until it expires."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        found.append(endpoint.previous_secret)
    return found


def signed_headers(endpoint: WebhookEndpoint, event_id: str, body: str,
                   now: dt.datetime) -> dict[str, str]:
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers
    of ``body`` sent at ``now`` (plus ``Content-Type``)."""
    signatures = [Webhook(secret).sign(event_id, now, body)
                  for secret in signing_secrets(endpoint, now)]
    return {
        "Content-Type": "application/json",
        "User-Agent": "Marketplace-Webhooks/1",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
