"""Settings for this plugin's tests: core plus this plugin only
(see :mod:`marketplace_core.testing.settings`).

Product files go to the S3 backend. The endpoint and the credentials belong to
the SeaweedFS server the ``s3_storage_settings`` fixture (conftest.py) starts;
it adds ENDPOINT_URL here and the credentials to the environment.
"""

from marketplace_core.testing.settings import settings_for_tests

_settings = settings_for_tests(plugins=["storage_s3"], name="storage_s3")
_settings["MARKETPLACE"].update(
    STORAGE_BACKEND="s3",
    storage_s3={"BUCKET": "marketplace-test-products", "REGION": "us-east-1"},
)
globals().update(_settings)
