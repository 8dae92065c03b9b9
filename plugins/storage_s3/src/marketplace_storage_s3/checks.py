"""System checks for ``MARKETPLACE["storage_s3"]``: one id per thing that can be wrong.

======================  =========================================================
id                      problem
======================  =========================================================
``storage_s3.E001``     ``BUCKET`` is missing
``storage_s3.E002``     ``BUCKET`` is not a valid bucket name
``storage_s3.E003``     ``REGION`` is missing while talking to AWS (no ``ENDPOINT_URL``)
``storage_s3.E004``     ``REGION`` is not a region name
``storage_s3.E005``     ``ENDPOINT_URL`` is not an http(s) URL without path
``storage_s3.E006``     ``PUBLIC_ENDPOINT_URL`` is not an http(s) URL without path
``storage_s3.E007``     ``LINK_TTL`` is not whole seconds from 1 to 7 days
``storage_s3.E008``     ``MAX_UPLOAD_SIZE`` is not a positive number of bytes (or ``None``)
``storage_s3.E009``     ``ALLOWED_EXTENSIONS`` is not a list of extensions (or ``None``)
``storage_s3.E010``     credentials are written in the settings
``storage_s3.E011``     ``ADDRESSING_STYLE`` is not ``auto``, ``path`` or ``virtual``
``storage_s3.E012``     ``MARKETPLACE["storage_s3"]`` is not a dict
``storage_s3.E013``     ``UPLOAD_CHUNK_SIZE`` is under S3's 5 MiB part minimum
``storage_s3.E014``     ``UPLOAD_CONCURRENCY`` is not a whole number from 1 to 32
``storage_s3.E015``     ``CONNECT_TIMEOUT`` or ``READ_TIMEOUT`` is not seconds in (0, 300]
``storage_s3.E016``     ``MAX_ATTEMPTS`` is not a whole number from 1 to 10
``storage_s3.E017``     a ``STORAGES`` entry of ``S3MediaStorage`` has no ``bucket`` of its own
                        (missing, or the product files' private ``BUCKET``)
``storage_s3.W001``     boto3 finds no credentials (outside instance/container roles)
``storage_s3.W002``     download links use plain ``http://`` while ``DEBUG`` is off
``storage_s3.W003``     unknown keys (typos such as ``BUCKET_NAME``)
======================  =========================================================
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from marketplace_core.conf import MAX_DOWNLOAD_LINK_TTL
from marketplace_storage_s3.conf import (
    ADDRESSING_STYLES,
    KNOWN_KEYS,
    MAX_MAX_ATTEMPTS,
    MAX_TIMEOUT,
    MIN_CHUNK_SIZE,
    NAME,
)

_SETTING = f"MARKETPLACE[{NAME!r}]"
# AWS bucket naming rules (the strictest S3-compatible servers follow them).
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EXTENSION_RE = re.compile(r"^\.?[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$")
_CREDENTIAL_KEYS = ("ACCESS_KEY", "SECRET", "SESSION_TOKEN", "CREDENTIALS", "PASSWORD")
MAX_UPLOAD_CONCURRENCY = 32


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_settings() -> list[CheckMessage]:
    """Every message about the plugin's settings (empty when all is well)."""
    raw = getattr(settings, "MARKETPLACE", {})
    if not isinstance(raw, dict):
        return []  # core reports marketplace_core.E001
    options = raw.get(NAME, {})
    if not isinstance(options, dict):
        return [Error(f"{_SETTING} must be a dict of options.", id="storage_s3.E012",
                      hint="MARKETPLACE['storage_s3'] = {'BUCKET': ..., 'REGION': ...}")]
    messages: list[CheckMessage] = []
    messages += _check_credentials_absent(options)
    messages += _check_bucket(options)
    messages += _check_endpoints(options)
    messages += _check_region(options)
    messages += _check_numbers(options)
    messages += _check_time_bounds(options)
    messages += _check_extensions(options)
    messages += _check_media_storages(options)
    unknown = sorted(
        str(k) for k in options if k not in KNOWN_KEYS and not _is_credential_key(k)
    )
    if unknown:
        messages.append(Warning(
            f"{_SETTING} has unknown keys: {', '.join(unknown)}.",
            hint=f"Known keys: {', '.join(sorted(KNOWN_KEYS))}.", id="storage_s3.W003",
        ))
    if not any(m.id == "storage_s3.E010" for m in messages):
        messages += check_credentials_found()
    return messages


MEDIA_BACKEND = "marketplace_storage_s3.storage.S3MediaStorage"


def _check_media_storages(options: dict[str, Any]) -> list[CheckMessage]:
    """Public images must never share the private product files' bucket: a bucket
    opened to anonymous reads for them would open every product file too."""
    messages: list[CheckMessage] = []
    for alias, entry in (getattr(settings, "STORAGES", None) or {}).items():
        if not isinstance(entry, dict) or entry.get("BACKEND") != MEDIA_BACKEND:
            continue
        bucket = (entry.get("OPTIONS") or {}).get("bucket")
        if not bucket or bucket == options.get("BUCKET"):
            messages.append(Error(
                f"STORAGES[{alias!r}] (S3MediaStorage) "
                + ("names no 'bucket'." if not bucket else
                   f"uses {_SETTING}['BUCKET'] ({bucket!r}), the private product files' bucket."),
                hint="Give the public images a bucket of their own: "
                     "STORAGES[...]['OPTIONS'] = {'bucket': 'shop-media'} (docs/media.md).",
                id="storage_s3.E017"))
    return messages


def _is_credential_key(key: Any) -> bool:
    return any(word in str(key).upper() for word in _CREDENTIAL_KEYS)


def _check_credentials_absent(options: dict[str, Any]) -> list[CheckMessage]:
    found = sorted(str(k) for k in options if _is_credential_key(k))
    if not found:
        return []
    return [Error(
        f"{_SETTING} contains credentials ({', '.join(found)}); settings files end up in "
        "version control and logs.",
        hint="Remove them and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the "
             "environment, or use a profile or an instance/container role.",
        id="storage_s3.E010",
    )]


def _check_bucket(options: dict[str, Any]) -> list[CheckMessage]:
    bucket = options.get("BUCKET")
    if not bucket:
        return [Error(
            f"{_SETTING}['BUCKET'] is not set.",
            hint="Name a private bucket, for example from the S3_BUCKET environment variable.",
            id="storage_s3.E001",
        )]
    if not isinstance(bucket, str) or not _BUCKET_RE.match(bucket) or ".." in bucket:
        return [Error(
            f"{_SETTING}['BUCKET'] is {bucket!r}, which is not a valid bucket name.",
            hint="3 to 63 characters: lower-case letters, digits, '.' and '-', starting and "
                 "ending with a letter or digit.",
            id="storage_s3.E002",
        )]
    return []


def _url_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable endpoint URL, or ``None`` when it is."""
    if not isinstance(value, str):
        return "it is not a string"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it needs http:// or https:// and a host"
    if parts.username or parts.password:
        return "it must not carry credentials"
    if parts.path.strip("/") or parts.query or parts.fragment:
        # S3 signs the path: a proxy that strips a prefix breaks every signature.
        return "it must not have a path, query or fragment"
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "its port is invalid"
    return None


def _check_endpoints(options: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for key, error_id, hint in (
        ("ENDPOINT_URL", "storage_s3.E005",
         "For MinIO or SeaweedFS: 'http://127.0.0.1:9000'. Leave unset for AWS."),
        ("PUBLIC_ENDPOINT_URL", "storage_s3.E006",
         "The address browsers use for the store, e.g. 'https://files.example.com'."),
    ):
        value = options.get(key)
        if value in (None, ""):
            continue
        problem = _url_problem(value)
        if problem:
            messages.append(Error(f"{_SETTING}[{key!r}] is {value!r}: {problem}.", hint=hint,
                                  id=error_id))
    style = options.get("ADDRESSING_STYLE")
    if style not in (None, "") and style not in ADDRESSING_STYLES:
        messages.append(Error(
            f"{_SETTING}['ADDRESSING_STYLE'] is {style!r}.",
            hint="Use 'path' (most S3-compatible servers), 'virtual' or 'auto'.",
            id="storage_s3.E011",
        ))
    link_host = options.get("PUBLIC_ENDPOINT_URL") or options.get("ENDPOINT_URL")
    if (isinstance(link_host, str) and not _url_problem(link_host)
            and urlsplit(link_host).scheme == "http" and not _is_loopback(link_host)
            and not settings.DEBUG):
        messages.append(Warning(
            f"Download links point at {link_host!r} over plain HTTP with DEBUG off: anyone on "
            "the way can copy a buyer's link and the file.",
            hint="Serve the store over HTTPS (PUBLIC_ENDPOINT_URL='https://...').",
            id="storage_s3.W002",
        ))
    return messages


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_region(options: dict[str, Any]) -> list[CheckMessage]:
    region = options.get("REGION")
    if region in (None, ""):
        if options.get("ENDPOINT_URL"):
            return []  # S3-compatible servers accept us-east-1, the default then
        return [Error(
            f"{_SETTING}['REGION'] is not set; AWS links are signed for one region.",
            hint="The bucket's region, e.g. 'eu-central-1'.",
            id="storage_s3.E003",
        )]
    if not isinstance(region, str) or not _REGION_RE.match(region):
        return [Error(f"{_SETTING}['REGION'] is {region!r}, which is not a region name.",
                      hint="For example 'us-east-1'.", id="storage_s3.E004")]
    return []


def _check_numbers(options: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    ttl = options.get("LINK_TTL")
    if ttl is not None and (not _is_int(ttl) or not 0 < ttl <= MAX_DOWNLOAD_LINK_TTL):
        messages.append(Error(
            f"{_SETTING}['LINK_TTL'] is {ttl!r}; it must be whole seconds from 1 to "
            f"{MAX_DOWNLOAD_LINK_TTL} (7 days, the longest a presigned URL can live).",
            hint="Leave it unset to use MARKETPLACE['DOWNLOAD_LINK_TTL'] (default 300).",
            id="storage_s3.E007",
        ))
    size = options.get("MAX_UPLOAD_SIZE", 1)
    if size is not None and (not _is_int(size) or size <= 0):
        messages.append(Error(
            f"{_SETTING}['MAX_UPLOAD_SIZE'] is {size!r}; it must be a positive number of "
            "bytes, or None for no limit.",
            hint="For example 2 * 1024**3 for 2 GiB.", id="storage_s3.E008",
        ))
    chunk = options.get("UPLOAD_CHUNK_SIZE")
    if chunk is not None and (not _is_int(chunk) or chunk < MIN_CHUNK_SIZE):
        messages.append(Error(
            f"{_SETTING}['UPLOAD_CHUNK_SIZE'] is {chunk!r}; S3 refuses multipart parts "
            f"under {MIN_CHUNK_SIZE} bytes (5 MiB).",
            hint="Leave it unset for 8 MiB.", id="storage_s3.E013",
        ))
    concurrency = options.get("UPLOAD_CONCURRENCY")
    if concurrency is not None and (
        not _is_int(concurrency) or not 1 <= concurrency <= MAX_UPLOAD_CONCURRENCY
    ):
        messages.append(Error(
            f"{_SETTING}['UPLOAD_CONCURRENCY'] is {concurrency!r}; it must be a whole number "
            f"from 1 to {MAX_UPLOAD_CONCURRENCY}.",
            hint="Each parallel part may be held in memory: memory ~ concurrency x chunk size.",
            id="storage_s3.E014",
        ))
    return messages


def _check_time_bounds(options: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for key in ("CONNECT_TIMEOUT", "READ_TIMEOUT"):
        value = options.get(key)
        if value is None:
            continue
        if (not isinstance(value, (int, float)) or isinstance(value, bool)
                or not 0 < value <= MAX_TIMEOUT):
            messages.append(Error(
                f"{_SETTING}[{key!r}] is {value!r}; it must be a number of seconds over 0 and "
                f"at most {MAX_TIMEOUT}.",
                hint="Leave it unset for 5 s to connect and 20 s of silence; a store that "
                     "hangs holds a request for MAX_ATTEMPTS x (CONNECT_TIMEOUT + READ_TIMEOUT).",
                id="storage_s3.E015",
            ))
    attempts = options.get("MAX_ATTEMPTS")
    if attempts is not None and (not _is_int(attempts)
                                 or not 1 <= attempts <= MAX_MAX_ATTEMPTS):
        messages.append(Error(
            f"{_SETTING}['MAX_ATTEMPTS'] is {attempts!r}; it must be a whole number from 1 to "
            f"{MAX_MAX_ATTEMPTS} (attempts per call, the first included).",
            hint="Leave it unset for 3.", id="storage_s3.E016",
        ))
    return messages


def _check_extensions(options: dict[str, Any]) -> list[CheckMessage]:
    value = options.get("ALLOWED_EXTENSIONS")
    if value is None:
        return []
    if (not isinstance(value, (list, tuple, set, frozenset)) or not value
            or not all(isinstance(v, str) and _EXTENSION_RE.match(v) for v in value)):
        return [Error(
            f"{_SETTING}['ALLOWED_EXTENSIONS'] is {value!r}; it must be a non-empty list of "
            "extensions such as ['pdf', 'zip'], or None to accept any.",
            hint="A plain string is not a list: write ['pdf'], not 'pdf'.",
            id="storage_s3.E009",
        )]
    return []


def check_credentials_found() -> list[CheckMessage]:
    """W001 when boto3's chain finds no credentials without asking instance or
    container metadata (those need the network; on EC2/ECS/EKS they may well work)."""
    import botocore.session

    resolver = botocore.session.get_session().get_component("credential_provider")
    for metadata_provider in ("container-role", "iam-role"):
        resolver.remove(metadata_provider)
    if resolver.load_credentials() is not None:
        return []
    return [Warning(
        "No AWS credentials found in the environment, profile or web identity.",
        hint="Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE). On EC2, ECS "
             "or EKS an instance or task role also works; silence this check there.",
        id="storage_s3.W001",
    )]

