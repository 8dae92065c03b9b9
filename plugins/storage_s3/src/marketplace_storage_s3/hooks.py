"""Hook implementations of the S3 storage plugin."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

from marketplace_core import hookimpl
from marketplace_core.conf import conf as core_conf


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    options = core_conf.plugin("storage_s3")
    errors: list[CheckMessage] = []
    if not options.get("BUCKET"):
        errors.append(Error(
            "MARKETPLACE['storage_s3']['BUCKET'] is not set.",
            hint="Name a private bucket, for example from the S3_BUCKET environment variable.",
            id="storage_s3.E001",
        ))
    return errors
