"""The only module that builds boto3 clients.

Two clients per configuration: ``api`` talks to the store from the web process
(``ENDPOINT_URL``), ``presign`` only signs links for browsers and uses
``PUBLIC_ENDPOINT_URL`` when the browser reaches the store by another host
(SigV4 signs the host, so a link signed for ``minio:9000`` fails at
``files.example.com``). Presigning makes no network call.

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


@dataclass(frozen=True)
class S3Clients:
    api: Any
    presign: Any


def _config(options: ConnectionOptions) -> Config:
    return Config(
        # SigV4 always: boto3 would presign SigV2 links for us-east-1, which
        # many S3-compatible servers refuse and which cannot carry a 7-day cap.
        signature_version="s3v4",
        s3={"addressing_style": options.addressing_style},
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
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
    return S3Clients(api=api, presign=presign)


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
