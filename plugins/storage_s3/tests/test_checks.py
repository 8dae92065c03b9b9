"""System check ``storage_s3.E001`` (missing bucket), run like ``manage.py check``.

The plugin's other setting checks are tested with the storage backend itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test.utils import override_settings

# Django's model checks (run by run_checks) may ask the database about its features.
pytestmark = pytest.mark.django_db


def ids(**options: Any) -> set[str]:
    marketplace = {"PLUGINS": ["storage_s3"], "storage_s3": options}
    with override_settings(MARKETPLACE=marketplace):
        return {message.id for message in run_checks()}


def test_e001_bucket_is_required() -> None:
    assert "storage_s3.E001" in ids()
    assert "storage_s3.E001" in ids(BUCKET="")
    assert "storage_s3.E001" in ids(BUCKET=None)
    assert "storage_s3.E001" not in ids(BUCKET="marketplace-private-files")


def test_e001_absent_once_configured_and_options_key_is_known() -> None:
    found = ids(BUCKET="marketplace-private-files")
    assert "storage_s3.E001" not in found
    assert "marketplace_core.W003" not in found  # the plugin's own options key


@pytest.mark.parametrize(("options", "refused"), [
    ({}, True),
    ({"bucket": "marketplace-private-files"}, True),  # the product files' own bucket
    ({"bucket": "shop-media"}, False),
])
def test_e017_public_images_never_share_the_product_files_bucket(
        settings: Any, options: dict[str, Any], refused: bool) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from marketplace_storage_s3.storage import S3MediaStorage

    settings.STORAGES = {**settings.STORAGES, "marketplace_media": {
        "BACKEND": "marketplace_storage_s3.storage.S3MediaStorage", "OPTIONS": options}}
    assert ("storage_s3.E017" in ids(BUCKET="marketplace-private-files")) is refused
    with override_settings(MARKETPLACE={"PLUGINS": ["storage_s3"],
                                        "storage_s3": {"BUCKET": "marketplace-private-files"}}):
        if refused:  # and the storage refuses to store there anyway
            with pytest.raises(ImproperlyConfigured, match="public bucket of its own"):
                S3MediaStorage(**options)
        else:
            assert S3MediaStorage(**options).bucket == "shop-media"
