"""Core's storage backend contract kit, run against ``LocalStorageBackend``.

Links are ``/downloads/local/<signed token>/`` on the site itself, fetched
through Django's test client without the buyer's session (the token carries
the authority). ``test_downloads.py`` covers what is special to the local
view: byte ranges, the storage root, ``DEBUG``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from marketplace_core.catalog.models import Product
from marketplace_core.storage.backends import DOWNLOAD_TOKEN_SALT
from marketplace_core.testing.contracts_storage import (
    Fetched,
    StorageBackendContract,
    StorageHarness,
    TamperedLink,
)

PREFIX = "/downloads/local/"


def token_of(link: str) -> str:
    path = urlsplit(link).path
    assert path.startswith(PREFIX) and path.endswith("/"), link
    return path[len(PREFIX):-1]


def with_token(link: str, token: str) -> str:
    return urlsplit(link)._replace(path=f"{PREFIX}{token}/").geturl()


class LocalHarness(StorageHarness):
    identifier = "local"
    expired_status = 410

    def fetch(self, link: str) -> Fetched:
        parts = urlsplit(link)
        assert parts.netloc in ("", "testserver"), link
        response = Client().get(parts.path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return Fetched(status=response.status_code, body=body, headers=response.headers)

    def expire(self, link: str) -> None:
        # Tokens carry whole seconds: one more makes sure the lifetime has passed.
        time.sleep(self.short_ttl + 1.1)

    def tampered(self, link: str, *, owned: Product, other: Product) -> dict[str, TamperedLink]:
        token = token_of(link)
        payload, timestamp, signature = token.rsplit(":", 2)
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        purchase_id = signing.loads(token, salt=DOWNLOAD_TOKEN_SALT)["p"]
        other_payload = signing.dumps({"p": purchase_id, "f": other.file.name},
                                      salt=DOWNLOAD_TOKEN_SALT).rsplit(":", 2)[0]
        later = signing.b62_encode(signing.b62_decode(timestamp) + 3600)
        variants = {
            "signature changed": f"{payload}:{timestamp}:{flipped}",
            "minted an hour later (expiry moved)": f"{payload}:{later}:{signature}",
            "another product's file under this signature": (
                f"{other_payload}:{timestamp}:{signature}"),
            "signature removed": f"{payload}:{timestamp}",
            "one character cut": token[:-1],
        }
        return {what: TamperedLink(with_token(link, changed), 404)
                for what, changed in variants.items()}

    def contains_link(self, text: str) -> bool:
        return PREFIX in text


class TestLocalStorageContract(StorageBackendContract):
    @pytest.fixture
    def harness(self, settings: Any) -> LocalHarness:
        settings.DEBUG = True  # local downloads are a development feature
        return LocalHarness()
