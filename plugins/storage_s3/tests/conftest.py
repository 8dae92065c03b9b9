from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from marketplace_core.celery_app import create_celery_app

if TYPE_CHECKING:
    from marketplace_storage_s3.testing import S3TestServer

create_celery_app("tests")

# The reusable server and fixtures this plugin ships for plugin authors.
pytest_plugins = ["marketplace_storage_s3.testing"]


@pytest.fixture(scope="session", autouse=True)
def s3(s3_storage_settings: S3TestServer) -> Iterator[S3TestServer]:
    """Every test runs with product files in a real SeaweedFS bucket."""
    yield s3_storage_settings
