"""License key text: derivation, format, normalization and the lookup hash.

A key is never stored. Each key row holds a random ``nonce``; the key is
``HMAC-SHA256(KEY_SECRET, "key:<purchase id>:<nonce>")`` written in base32
(A-Z, 2-7) as six groups of six characters: 180 bits, of which the seller's
pages show the first group (30 bits), leaving 150 unknown. The buyer sees the
key again whenever it is derived anew; the database holds only the nonce and
``HMAC-SHA256(KEY_SECRET, "lookup:<normalized key>")`` for lookups, so a copy
of the database without the secret yields no key. The consequence: rotating
``KEY_SECRET`` changes every key (see docs/licenses.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from marketplace_licenses.conf import conf

GROUPS = 6
GROUP_LENGTH = 6
KEY_LENGTH = GROUPS * GROUP_LENGTH
#: Characters of the first group, shown to the seller to tell keys apart.
PREFIX_LENGTH = GROUP_LENGTH
#: What a license key given to the API may be at most (characters), before normalizing.
MAX_INPUT_LENGTH = 100
_NOT_KEY = re.compile(r"[\s-]+")
_KEY = re.compile(rf"^[A-Z2-7]{{{KEY_LENGTH}}}$")


def new_nonce() -> str:
    """A fresh random nonce for a key row (128 bits, hex)."""
    return secrets.token_hex(16)


def _mac(message: str) -> bytes:
    return hmac.new(conf.KEY_SECRET.encode(), message.encode(), hashlib.sha256).digest()


def derive(purchase_id: int, nonce: str) -> str:
    """The key of purchase ``purchase_id`` with ``nonce``, formatted ``XXXXXX-XXXXXX-...``."""
    text = base64.b32encode(_mac(f"key:{purchase_id}:{nonce}")).decode()[:KEY_LENGTH]
    return "-".join(text[i:i + GROUP_LENGTH] for i in range(0, KEY_LENGTH, GROUP_LENGTH))


def normalize(text: str) -> str | None:
    """``text`` as the bare 36 characters of a key, or ``None`` when it cannot be one.

    Case, spaces and dashes do not matter (a key pasted from an email).
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH:
        return None
    bare = _NOT_KEY.sub("", text).upper()
    return bare if _KEY.match(bare) else None


def lookup_hash(normalized: str) -> str:
    """The stored hash of a normalized key (hex SHA-256 HMAC with ``KEY_SECRET``)."""
    return _mac(f"lookup:{normalized}").hex()


def hash_of(text: str) -> str:
    """The lookup hash of whatever ``text`` is: a key's hash when it is a key, else
    the hash of the text itself (so a wrong key costs the same work as a right one
    and can be rate-limited by it)."""
    return lookup_hash(normalize(text) or f"invalid:{text[:MAX_INPUT_LENGTH]}")


def matches(stored_hash: str, text: str) -> bool:
    """Whether ``text`` is the key whose hash is ``stored_hash``, compared in constant time."""
    return hmac.compare_digest(stored_hash, hash_of(text))


def prefix(key: str) -> str:
    """The first group of ``key``: what the seller sees."""
    return key[:PREFIX_LENGTH]
