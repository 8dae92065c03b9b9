"""Hook implementations of the S3 storage plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace_core import hookimpl

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from marketplace_core.storage.backends import StorageBackend


@hookimpl
def register_storage_backends() -> list[type[StorageBackend]]:
    from marketplace_storage_s3.backend import S3StorageBackend

    return [S3StorageBackend]


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_storage_s3.checks import check_settings

    return check_settings()
