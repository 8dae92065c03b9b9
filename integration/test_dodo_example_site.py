"""The example site configured for Dodo Payments, as a site builder runs it.

- ``manage.py check --deploy`` is fully clean in production with Dodo configured
  (live mode, Redis, the rest of the production environment).
- The Dodo browser suite (``integration/dodo/``) needs settings that enable the
  plugin when they load (``integration.settings_dodo``), so it runs here in a
  pytest of its own, on the same database vendor and with the same services;
  it fails this test when any of its tests fails or does not run.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

_ISOLATED = ("DJANGO_", "MARKETPLACE_", "DODO_", "S3_", "TELEGRAM_", "DATABASE_URL", "REDIS_URL")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED)}


def _manage(repo_root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(repo_root / "example_site" / "manage.py"), *args],
        env={**_clean_env(), **env}, capture_output=True, text=True, check=False,
    )


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
    result = _manage(repo_root, "check", "--deploy", env=production_env(tmp_path))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_dodo_in_live_mode_with_debug_on_is_refused(repo_root: Path, tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "DJANGO_DEBUG": "1"}

    result = _manage(repo_root, "check", env=env)

    assert result.returncode != 0
    assert "payments_dodo.E004" in result.stdout + result.stderr


def test_dodo_webhook_secret_missing_is_refused(repo_root: Path, tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "DODO_PAYMENTS_WEBHOOK_SECRET": ""}

    result = _manage(repo_root, "check", "--deploy", env=env)

    assert result.returncode != 0
    assert "payments_dodo.E002" in result.stdout + result.stderr


def test_dodo_browser_suite_passes_with_the_example_site_configured_for_dodo(
    repo_root: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    report = tmp_path / "dodo-suite.xml"
    args = [sys.executable, "-m", "pytest", "integration/dodo", "-p", "no:cacheprovider",
            "--ds=integration.settings_dodo",
            f"--marketplace-db={pytestconfig.getoption('marketplace_db')}",
            f"--junitxml={report}", "-q"]
    if pytestconfig.getoption("marketplace_redis"):
        args.append("--marketplace-redis")
    # The child starts its own database and services from a clean environment.
    env = {k: v for k, v in _clean_env().items() if k != "PYTEST_ADDOPTS"}

    result = subprocess.run(args, cwd=repo_root, env=env, capture_output=True,
                            text=True, check=False, timeout=280)

    output = (result.stdout + result.stderr)[-6000:]
    assert report.exists(), output
    suite = ET.parse(report).getroot().find("testsuite")  # noqa: S314 - pytest's own report
    assert suite is not None, output
    counts = {name: int(suite.get(name, "0")) for name in ("tests", "failures", "errors",
                                                           "skipped")}
    assert counts == {"tests": 3, "failures": 0, "errors": 0, "skipped": 0}, output
    assert result.returncode == 0, output
