"""The service account that reads GA4: from a key file's path or its JSON text.

``CREDENTIALS`` holds what the environment gives: the path of the JSON key
Google Cloud hands out, or the JSON itself (a secret store often injects the
content rather than a file). Nothing here talks to Google: the token is
fetched by the client on its first call, from the key's ``token_uri``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Read-only access to GA4 reports is all the plugin asks for.
SCOPES = ["https://www.googleapis.com/auth/analytics.readonly"]


class CredentialsError(ValueError):
    """``CREDENTIALS`` cannot be read as a service account key (the message says why)."""


def key_info(value: str) -> dict[str, Any]:
    """The service account key's fields from ``value`` (JSON text or a file path).

    :raises CredentialsError: unreadable file, invalid JSON, or not a service account key.
    """
    text = value.strip()
    if not text.startswith("{"):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CredentialsError(f"cannot read the key file {str(path)!r}: "
                                   f"{exc.strerror or exc}") from None
    try:
        info = json.loads(text)
    except ValueError:
        raise CredentialsError("the key is not valid JSON") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise CredentialsError('the key is not a service account key ("type": '
                               '"service_account")')
    missing = [key for key in ("client_email", "private_key", "token_uri") if not info.get(key)]
    if missing:
        raise CredentialsError(f"the key lacks {', '.join(missing)}")
    return info


def service_account(value: str) -> Any:
    """``google.oauth2.service_account.Credentials`` for ``value``, scoped read-only.

    :raises CredentialsError: as :func:`key_info`, or a private key that does not parse.
    """
    from google.oauth2 import service_account as google_service_account

    info = key_info(value)
    try:
        return google_service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except ValueError as exc:
        raise CredentialsError(f"the key does not load: {exc}") from None
