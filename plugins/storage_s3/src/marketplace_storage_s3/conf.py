"""Typed, lazy access to ``MARKETPLACE["storage_s3"]``.

Every read goes to Django settings when it is made, so ``override_settings``
works and nothing is read at import time. Credentials are never settings: boto3
finds them in the environment (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``)
or through its default chain (profile, web identity, container or instance role).

Example::

    MARKETPLACE["storage_s3"] = {
        "BUCKET": os.environ["S3_BUCKET"],
        "REGION": "eu-central-1",
        "ENDPOINT_URL": None,          # set for MinIO, SeaweedFS, R2, ...
        "PUBLIC_ENDPOINT_URL": None,   # host browsers use, when it differs
        "LINK_TTL": None,              # seconds; default: core's DOWNLOAD_LINK_TTL
        "MAX_UPLOAD_SIZE": 2 * 1024**3,
        "ALLOWED_EXTENSIONS": ["pdf", "zip", "epub"],
        "CONNECT_TIMEOUT": 5,          # seconds per attempt to connect
        "READ_TIMEOUT": 20,            # seconds the store may stay silent
        "MAX_ATTEMPTS": 3,             # attempts per call, the first included
    }

Values are validated by :mod:`marketplace_storage_s3.checks`; the accessors
here assume a configuration that passed those checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_core.conf import MAX_DOWNLOAD_LINK_TTL
from marketplace_core.conf import conf as core_conf

NAME = "storage_s3"

MiB = 1024 * 1024
#: S3 refuses multipart parts smaller than this (except the last one).
MIN_CHUNK_SIZE = 5 * MiB
#: S3 allows at most this many parts; s3transfer raises the part size to fit.
MAX_PARTS = 10_000

DEFAULT_REGION_FOR_ENDPOINT = "us-east-1"
DEFAULT_MAX_UPLOAD_SIZE = 2 * 1024 * MiB
DEFAULT_UPLOAD_CHUNK_SIZE = 8 * MiB
DEFAULT_UPLOAD_CONCURRENCY = 4
ADDRESSING_STYLES = ("auto", "path", "virtual")
#: Defaults of the time a call may spend on a store that does not answer: at
#: most MAX_ATTEMPTS x (CONNECT_TIMEOUT + READ_TIMEOUT) plus a few seconds of
#: backoff between attempts, instead of botocore's 5 x (60 + 60).
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
DEFAULT_MAX_ATTEMPTS = 3
#: Largest accepted CONNECT_TIMEOUT or READ_TIMEOUT, and MAX_ATTEMPTS (checks E015, E016).
MAX_TIMEOUT = 300
MAX_MAX_ATTEMPTS = 10

#: Every key ``MARKETPLACE["storage_s3"]`` understands (others get a warning).
KNOWN_KEYS = frozenset({
    "BUCKET", "REGION", "ENDPOINT_URL", "PUBLIC_ENDPOINT_URL", "ADDRESSING_STYLE", "LINK_TTL",
    "MAX_UPLOAD_SIZE", "ALLOWED_EXTENSIONS", "UPLOAD_CHUNK_SIZE", "UPLOAD_CONCURRENCY",
    "CONNECT_TIMEOUT", "READ_TIMEOUT", "MAX_ATTEMPTS",
})


@dataclass(frozen=True)
class ConnectionOptions:
    """What a boto3 client is built from; hashable so clients can be cached per value."""

    bucket: str
    region: str | None
    endpoint_url: str | None
    public_endpoint_url: str | None
    addressing_style: str
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


class S3Settings:
    """Attribute access to ``MARKETPLACE["storage_s3"]`` with defaults."""

    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    @property
    def BUCKET(self) -> str:
        return str(self.raw.get("BUCKET") or "")

    @property
    def ENDPOINT_URL(self) -> str | None:
        return _url(self.raw.get("ENDPOINT_URL"))

    @property
    def PUBLIC_ENDPOINT_URL(self) -> str | None:
        """Host presigned links point at; falls back to :attr:`ENDPOINT_URL`."""
        return _url(self.raw.get("PUBLIC_ENDPOINT_URL"))

    @property
    def REGION(self) -> str | None:
        """The signing region; ``us-east-1`` for S3-compatible servers when unset."""
        value = self.raw.get("REGION")
        if value:
            return str(value)
        return DEFAULT_REGION_FOR_ENDPOINT if self.ENDPOINT_URL else None

    @property
    def ADDRESSING_STYLE(self) -> str:
        """``path`` for custom endpoints (their buckets rarely have DNS names), else ``auto``."""
        value = self.raw.get("ADDRESSING_STYLE")
        if value:
            return str(value)
        return "path" if self.ENDPOINT_URL else "auto"

    @property
    def LINK_TTL(self) -> int | None:
        """Link lifetime override in seconds, or ``None`` for core's ``DOWNLOAD_LINK_TTL``."""
        value = self.raw.get("LINK_TTL")
        return None if value is None else int(value)

    @property
    def MAX_UPLOAD_SIZE(self) -> int | None:
        """Largest accepted upload in bytes; ``None`` accepts any size."""
        if "MAX_UPLOAD_SIZE" not in self.raw:
            return DEFAULT_MAX_UPLOAD_SIZE
        value = self.raw["MAX_UPLOAD_SIZE"]
        return None if value is None else int(value)

    @property
    def ALLOWED_EXTENSIONS(self) -> frozenset[str] | None:
        """Lower-case extensions without the dot, or ``None`` for any extension."""
        value = self.raw.get("ALLOWED_EXTENSIONS")
        if value is None:
            return None
        return frozenset(normalize_extension(str(v)) for v in value)

    @property
    def UPLOAD_CHUNK_SIZE(self) -> int:
        """Multipart part size in bytes: the unit a large upload is read and sent in."""
        return int(self.raw.get("UPLOAD_CHUNK_SIZE") or DEFAULT_UPLOAD_CHUNK_SIZE)

    @property
    def UPLOAD_CONCURRENCY(self) -> int:
        """Parts sent in parallel (and, for plain streams, held in memory at once)."""
        return int(self.raw.get("UPLOAD_CONCURRENCY") or DEFAULT_UPLOAD_CONCURRENCY)

    @property
    def CONNECT_TIMEOUT(self) -> float:
        """Seconds each attempt may take to connect to the store."""
        return float(self.raw.get("CONNECT_TIMEOUT") or DEFAULT_CONNECT_TIMEOUT)

    @property
    def READ_TIMEOUT(self) -> float:
        """Seconds the store may stay silent on an open connection before the attempt fails."""
        return float(self.raw.get("READ_TIMEOUT") or DEFAULT_READ_TIMEOUT)

    @property
    def MAX_ATTEMPTS(self) -> int:
        """Attempts per call to the store, the first included (botocore's
        ``total_max_attempts``, retried with backoff in its ``standard`` mode)."""
        return int(self.raw.get("MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)

    def connection(self) -> ConnectionOptions:
        return ConnectionOptions(
            bucket=self.BUCKET,
            region=self.REGION,
            endpoint_url=self.ENDPOINT_URL,
            public_endpoint_url=self.PUBLIC_ENDPOINT_URL,
            addressing_style=self.ADDRESSING_STYLE,
            connect_timeout=self.CONNECT_TIMEOUT,
            read_timeout=self.READ_TIMEOUT,
            max_attempts=self.MAX_ATTEMPTS,
        )


def normalize_extension(value: str) -> str:
    """``".PDF"`` → ``"pdf"``."""
    return value.strip().lstrip(".").lower()


def _url(value: Any) -> str | None:
    return str(value).rstrip("/") if value else None


def link_ttl(product: object | None = None) -> int:
    """Seconds a presigned link lives, 1 s to 7 days: ``product``'s own link
    lifetime when its seller set one, else ``LINK_TTL``, else core's setting."""
    from marketplace_core.storage.backends import download_link_ttl

    override = conf.LINK_TTL
    if getattr(product, "link_lifetime_minutes", None) or override is None:
        ttl = download_link_ttl(product)
    else:
        ttl = override
    return max(1, min(ttl, MAX_DOWNLOAD_LINK_TTL))


conf = S3Settings()
