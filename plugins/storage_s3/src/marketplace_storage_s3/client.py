"""The only module that builds boto3 clients.

Two clients per configuration: ``api`` talks to the store from the web process
(``ENDPOINT_URL``), ``presign`` only signs links for browsers and uses
``PUBLIC_ENDPOINT_URL`` when the browser reaches the store by another host
(SigV4 signs the host, so a link signed for ``minio:9000`` fails at
``files.example.com``). Presigning makes no network call. A third, ``probe``,
asks whether the store answers: one attempt, :data:`PROBE_TIMEOUT` seconds.

Every call to the store is bounded: ``CONNECT_TIMEOUT`` and ``READ_TIMEOUT``
per attempt, ``MAX_ATTEMPTS`` attempts (botocore's ``standard`` retry mode,
with backoff), so a store that hangs cannot hold a request for minutes.

Credentials are never passed in: boto3 resolves them from the environment or
its default chain, and refreshes temporary ones by itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from marketplace_storage_s3.conf import ConnectionOptions

#: Connect and read timeout of the ``probe`` client (seconds).
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class S3Clients:
    api: Any
    presign: Any
    probe: Any


def _config(options: ConnectionOptions, *, timeout: float | None = None,
            attempts: int | None = None) -> Config:
    return Config(
        # SigV4 always: boto3 would presign SigV2 links for us-east-1, which
        # many S3-compatible servers refuse and which cannot carry a 7-day cap.
        signature_version="s3v4",
        s3={"addressing_style": options.addressing_style},
        retries={"mode": "standard",
                 "total_max_attempts": attempts or options.max_attempts},
        connect_timeout=timeout or options.connect_timeout,
        read_timeout=timeout or options.read_timeout,
    )


@functools.lru_cache(maxsize=8)
def clients_for(options: ConnectionOptions) -> S3Clients:
    """The clients for ``options``, built once per distinct value (boto3 clients
    are thread-safe; sessions are not, so each build gets its own session)."""
    session = boto3.session.Session()
    config = _config(options)
    api = session.client(
        "s3", region_name=options.region, endpoint_url=options.endpoint_url, config=config
    )
    if options.public_endpoint_url and options.public_endpoint_url != options.endpoint_url:
        presign = session.client(
            "s3", region_name=options.region, endpoint_url=options.public_endpoint_url,
            config=config,
        )
    else:
        presign = api
    probe = session.client(
        "s3", region_name=options.region, endpoint_url=options.endpoint_url,
        config=_config(options, timeout=PROBE_TIMEOUT, attempts=1),
    )
    return S3Clients(api=api, presign=presign, probe=probe)


@functools.lru_cache(maxsize=8)
def unsigned_client_for(options: ConnectionOptions) -> Any:
    """A client that signs nothing: it only spells out an object's plain address."""
    return boto3.session.Session().client(
        "s3", region_name=options.region,
        endpoint_url=options.public_endpoint_url or options.endpoint_url,
        config=Config(
            signature_version=UNSIGNED, s3={"addressing_style": options.addressing_style}
        ),
    )


def forget_clients() -> None:
    """Drop cached clients (after credentials in the environment changed)."""
    clients_for.cache_clear()
    unsigned_client_for.cache_clear()
