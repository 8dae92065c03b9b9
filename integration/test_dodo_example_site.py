"""The example site configured for Dodo Payments, as a site builder runs it.

- ``manage.py check --deploy`` is fully clean in production with Dodo configured
  (live mode, Redis, the rest of the production environment).
- The Dodo browser suite (``integration/dodo/``) needs settings that enable the
  plugin when they load (``integration.settings_dodo``), so it runs here in a
  pytest of its own, on the same database vendor and with the same services;
  it fails this test when any of its tests fails or does not run.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from integration.processes import manage, run_sub_suite


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "MARKETPLACE_VAR_DIR": str(tmp_path),
        "MAINTENANCE_BYPASS_SECRET": secrets.token_urlsafe(24),
        # Several web processes share Redis (cache, broker); never contacted by `check`.
        "REDIS_URL": "redis://redis.internal:6379/0",
        "DODO_PAYMENTS_API_KEY": "dodo_live_" + secrets.token_urlsafe(24),
        "DODO_PAYMENTS_WEBHOOK_SECRET": "whsec_" + "c2hvcC1saXZlLXdlYmhvb2stc2VjcmV0LTMyLWJ5dGVz",
        "DODO_PAYMENTS_ENVIRONMENT": "live_mode",
        # Product files in a private S3 bucket (presigned downloads); credentials
        # from the environment as in production. Never contacted by `check`.
        "S3_BUCKET": "shop-product-files",
        "S3_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
    }


def test_deploy_checks_fully_clean_in_production_with_dodo(repo_root: Path,
                                                          tmp_path: Path) -> None:
    result = manage(repo_root, "check", "--deploy", env=production_env(tmp_path))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_dodo_in_live_mode_with_debug_on_is_refused(repo_root: Path, tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "DJANGO_DEBUG": "1"}

    result = manage(repo_root, "check", env=env)

    assert result.returncode != 0
    assert "payments_dodo.E004" in result.stdout + result.stderr


def test_dodo_webhook_secret_missing_is_refused(repo_root: Path, tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "DODO_PAYMENTS_WEBHOOK_SECRET": ""}

    result = manage(repo_root, "check", "--deploy", env=env)

    assert result.returncode != 0
    assert "payments_dodo.E002" in result.stdout + result.stderr


def test_dodo_browser_suite_passes_with_the_example_site_configured_for_dodo(
    repo_root: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    result = run_sub_suite(repo_root, pytestconfig, "integration/dodo",
                           "integration.settings_dodo", tmp_path / "dodo-suite.xml")

    # checkout (3: buy, a refund at Dodo, a synced product), a guest's purchase, a seller's refund
    assert result.counts == {"tests": 5, "failures": 0, "errors": 0, "skipped": 0}, \
        result.output
    assert result.returncode == 0, result.output
