"""One test per system-check id of ``storage_s3`` (see ``marketplace_storage_s3.checks``).

Most tests call the plugin's check function under ``override_settings``; the
first ones run Django's whole check framework, as ``manage.py check`` does, to
show the messages arrive through core's ``check_configuration`` hook.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test.utils import override_settings
from marketplace_storage_s3.checks import check_settings

# Django's model checks (run by run_checks) may ask the database about its features.
pytestmark = pytest.mark.django_db

VALID = {"BUCKET": "marketplace-private-files", "REGION": "eu-central-1"}


def ids(*, debug: bool = False, **options: Any) -> set[str]:
    with override_settings(MARKETPLACE={"PLUGINS": ["storage_s3"], "storage_s3": options},
                           DEBUG=debug):
        return {message.id for message in check_settings() if message.id}


def ids_with(**changes: Any) -> set[str]:
    return ids(**{**VALID, **changes})


def test_a_valid_configuration_passes_every_check_of_manage_py_check():
    marketplace = {"PLUGINS": ["storage_s3"], "STORAGE_BACKEND": "s3", "storage_s3": VALID}
    with override_settings(MARKETPLACE=marketplace):
        found = {message.id for message in run_checks()}
    assert not {i for i in found if i and i.startswith("storage_s3.")}
    assert "marketplace_core.W003" not in found  # the plugin's options key is known


def test_plugin_errors_reach_manage_py_check():
    with override_settings(MARKETPLACE={"PLUGINS": ["storage_s3"], "storage_s3": {}}):
        found = {message.id for message in run_checks()}
    assert {"storage_s3.E001", "storage_s3.E003"} <= found


def test_e001_bucket_is_required():
    assert "storage_s3.E001" in ids(REGION="eu-west-1")
    assert "storage_s3.E001" in ids_with(BUCKET="")
    assert "storage_s3.E001" in ids_with(BUCKET=None)
    assert "storage_s3.E001" not in ids_with()


@pytest.mark.parametrize("bucket", [
    "Upper-Case", "ab", "a" * 64, "two..dots", "-leading-dash", "under_score", 123,
])
def test_e002_invalid_bucket_name(bucket):
    assert ids_with(BUCKET=bucket) == {"storage_s3.E002"}


def test_e003_region_is_required_for_aws_but_not_for_a_custom_endpoint():
    assert ids(BUCKET="products") == {"storage_s3.E003"}
    assert ids(BUCKET="products", ENDPOINT_URL="http://127.0.0.1:9000") == set()


@pytest.mark.parametrize("region", ["EU Central", "eu_central_1", 42])
def test_e004_invalid_region(region):
    assert ids_with(REGION=region) == {"storage_s3.E004"}


BAD_URLS = [
    "minio:9000", "ftp://files.example.com", "http://", "https://files.example.com/bucket",
    "http://user:secret@files.example.com", "http://files.example.com:99999",
    "https://files.example.com?x=1", 9000,
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_e005_invalid_endpoint_url(url):
    assert ids_with(ENDPOINT_URL=url) == {"storage_s3.E005"}


def test_e005_accepts_host_and_port_urls():
    for url in ("http://127.0.0.1:9000", "https://s3.example.com", "https://s3.example.com/"):
        assert ids_with(ENDPOINT_URL=url) == set(), url


@pytest.mark.parametrize("url", BAD_URLS)
def test_e006_invalid_public_endpoint_url(url):
    assert ids_with(PUBLIC_ENDPOINT_URL=url) == {"storage_s3.E006"}


@pytest.mark.parametrize("ttl", [0, -1, 7 * 24 * 3600 + 1, "300", 1.5, True])
def test_e007_link_ttl_must_be_seconds_up_to_seven_days(ttl):
    assert ids_with(LINK_TTL=ttl) == {"storage_s3.E007"}


def test_e007_accepts_one_second_to_seven_days():
    for ttl in (1, 300, 7 * 24 * 3600, None):
        assert ids_with(LINK_TTL=ttl) == set(), ttl


@pytest.mark.parametrize("size", [0, -5, "2GB", 1.5, False])
def test_e008_max_upload_size_must_be_positive_bytes(size):
    assert ids_with(MAX_UPLOAD_SIZE=size) == {"storage_s3.E008"}


def test_e008_accepts_bytes_or_none():
    for size in (1, 2 * 1024**3, None):
        assert ids_with(MAX_UPLOAD_SIZE=size) == set(), size


@pytest.mark.parametrize("extensions", ["pdf", [], [""], ["pdf", 3], ["../exe"], {"pdf": 1}])
def test_e009_allowed_extensions_must_be_a_list_of_extensions(extensions):
    assert ids_with(ALLOWED_EXTENSIONS=extensions) == {"storage_s3.E009"}


def test_e009_accepts_extensions_with_or_without_dot():
    assert ids_with(ALLOWED_EXTENSIONS=["pdf", ".ZIP", "tar.gz"]) == set()
    assert ids_with(ALLOWED_EXTENSIONS=None) == set()


@pytest.mark.parametrize("key", [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "SECRET_KEY", "ACCESS_KEY", "SESSION_TOKEN",
    "CREDENTIALS",
])
def test_e010_credentials_in_settings(key):
    # An error of its own, not also "unknown key" (W003).
    assert ids_with(**{key: "AKIA..."}) == {"storage_s3.E010"}


def test_e011_addressing_style():
    assert ids_with(ADDRESSING_STYLE="dns") == {"storage_s3.E011"}
    for style in ("auto", "path", "virtual"):
        assert ids_with(ADDRESSING_STYLE=style) == set()


def test_e012_options_must_be_a_dict():
    with override_settings(MARKETPLACE={"PLUGINS": ["storage_s3"], "storage_s3": "my-bucket"}):
        assert {m.id for m in check_settings()} == {"storage_s3.E012"}


@pytest.mark.parametrize("chunk", [1024 * 1024, 5 * 1024 * 1024 - 1, "8MB"])
def test_e013_upload_chunk_size_at_least_five_mib(chunk):
    assert ids_with(UPLOAD_CHUNK_SIZE=chunk) == {"storage_s3.E013"}


def test_e013_accepts_five_mib_and_more():
    assert ids_with(UPLOAD_CHUNK_SIZE=5 * 1024 * 1024) == set()


@pytest.mark.parametrize("concurrency", [0, 33, "4", 2.5])
def test_e014_upload_concurrency(concurrency):
    assert ids_with(UPLOAD_CONCURRENCY=concurrency) == {"storage_s3.E014"}


def test_e014_accepts_one_to_thirty_two():
    for concurrency in (1, 4, 32):
        assert ids_with(UPLOAD_CONCURRENCY=concurrency) == set()


@pytest.mark.parametrize(("key", "value"), [
    ("CONNECT_TIMEOUT", 0), ("CONNECT_TIMEOUT", -1), ("CONNECT_TIMEOUT", "5"),
    ("READ_TIMEOUT", 301), ("READ_TIMEOUT", True), ("READ_TIMEOUT", 0.0),
])
def test_e015_timeouts_are_seconds_up_to_five_minutes(key, value):
    assert ids_with(**{key: value}) == {"storage_s3.E015"}


def test_e015_accepts_whole_and_fractional_seconds():
    assert ids_with(CONNECT_TIMEOUT=0.5, READ_TIMEOUT=300) == set()


@pytest.mark.parametrize("attempts", [0, 11, "3", 1.5, True])
def test_e016_max_attempts(attempts):
    assert ids_with(MAX_ATTEMPTS=attempts) == {"storage_s3.E016"}


def test_e016_accepts_one_to_ten():
    assert ids_with(MAX_ATTEMPTS=1) == ids_with(MAX_ATTEMPTS=10) == set()


def test_w001_no_credentials_anywhere(monkeypatch, tmp_path):
    assert "storage_s3.W001" not in ids_with()  # the test server's keys are in the environment
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))

    assert ids_with() == {"storage_s3.W001"}

    # A profile in the shared credentials file counts as credentials.
    (tmp_path / "missing-credentials").write_text(
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n"
    )
    assert ids_with() == set()


def test_w002_plain_http_links_with_debug_off():
    assert ids_with(PUBLIC_ENDPOINT_URL="http://files.example.com") == {"storage_s3.W002"}
    assert ids_with(ENDPOINT_URL="http://minio.internal:9000") == {"storage_s3.W002"}
    # Public HTTPS in front of an internal plain-HTTP endpoint is fine.
    assert ids_with(ENDPOINT_URL="http://minio.internal:9000",
                    PUBLIC_ENDPOINT_URL="https://files.example.com") == set()
    assert ids_with(ENDPOINT_URL="http://127.0.0.1:9000") == set()
    assert ids_with(ENDPOINT_URL="http://localhost:9000") == set()
    assert ids(debug=True, **VALID, PUBLIC_ENDPOINT_URL="http://files.example.com") == set()


def test_w003_unknown_keys():
    assert ids_with(BUCKET_NAME="products") == {"storage_s3.W003"}
