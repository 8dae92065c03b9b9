"""The example site configured for Telegram notifications, as a site builder runs it.

- ``manage.py check`` is clean with the Telegram variables set, and names the
  setting that is wrong otherwise.
- The Telegram suite (``integration/telegram/``) needs settings that enable the
  plugin when they load (``integration.settings_telegram``), so it runs here in a
  pytest of its own, on the same database vendor and with the same services; it
  fails this test when any of its tests fails or does not run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.processes import manage, run_sub_suite

TOKEN = "7000000001:integration-fake-bot-token-0123456789"


def _check(repo_root: Path, tmp_path: Path, **env: str) -> str:
    result = manage(repo_root, "check", env={"MARKETPLACE_VAR_DIR": str(tmp_path), **env})
    return result.stdout + result.stderr


def test_check_is_clean_with_telegram_configured(repo_root: Path, tmp_path: Path) -> None:
    output = _check(repo_root, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN,
                    TELEGRAM_CHAT_ID="-1001234567890", TELEGRAM_THREAD_ID="12",
                    TELEGRAM_API_URL="https://api.telegram.org")
    assert "notify_telegram." not in output, output


@pytest.mark.parametrize(("env", "check_id"), [
    ({"TELEGRAM_BOT_TOKEN": "not-a-token", "TELEGRAM_CHAT_ID": "-100"}, "notify_telegram.E001"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN}, "notify_telegram.E002"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "-100", "TELEGRAM_THREAD_ID": "general"},
     "notify_telegram.E003"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "-100", "TELEGRAM_API_URL": "telegram"},
     "notify_telegram.E004"),
])
def test_check_names_the_wrong_telegram_setting(repo_root: Path, tmp_path: Path,
                                                env: dict[str, str], check_id: str) -> None:
    assert check_id in _check(repo_root, tmp_path, **env)


def test_telegram_suite_passes_with_the_example_site_configured_for_telegram(
    repo_root: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    result = run_sub_suite(repo_root, pytestconfig, "integration/telegram",
                           "integration.settings_telegram", tmp_path / "telegram-suite.xml")

    assert result.counts == {"tests": 4, "failures": 0, "errors": 0, "skipped": 0}, \
        result.output
    assert result.returncode == 0, result.output
