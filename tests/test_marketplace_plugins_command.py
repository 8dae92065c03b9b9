"""``manage.py marketplace_plugins [--json]``: what is installed, enabled, and hooked."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from marketplace_core import __version__
from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import install
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

CORE_HOOKS = [
    "nav_items",
    "payment_confirmed",
    "product_saved",
    "refund_recorded",
    "register_api_routers",
    "register_notification_channels",
    "register_payment_providers",
    "register_periodic_tasks",
    "register_storage_backends",
    "register_webhook_events",
    "resolve_download",
    "resolve_home_url",
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("marketplace_plugins", *args, stdout=out)
    return out.getvalue()


def run_json() -> dict[str, dict[str, Any]]:
    rows = json.loads(run("--json"))
    assert rows[0]["name"] == "marketplace_core", "core is listed first"
    return {row["name"]: row for row in rows}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    with fake_site(tmp_path, monkeypatch) as s, preserved_plugin_manager():
        s.add_plugin("fakeidle", dist="fake-idle-dist", version="3.2.1")
        s.add_plugin(
            "fakeactive",
            dist="fake-active-dist",
            version="0.4",
            hooks="""
            @hookimpl
            def resolve_home_url(user):
                return None


            @hookimpl
            def check_configuration(app_configs):
                return []
            """,
        )
        yield s


def test_json_lists_core_with_its_hooks() -> None:
    core = run_json()["marketplace_core"]

    assert core == {
        "name": "marketplace_core",
        "distribution": "marketplace-core",
        "version": __version__,
        "enabled": True,
        "hooks": CORE_HOOKS,
    }


def test_text_lists_core_with_its_hooks() -> None:
    lines = run().splitlines()

    assert lines[0] == f"marketplace_core  (marketplace-core {__version__})  enabled"
    assert lines[1 : 1 + len(CORE_HOOKS)] == [f"    {hook}" for hook in CORE_HOOKS]


def test_installed_but_not_enabled_plugin_is_listed_as_such(site: FakeSite) -> None:
    assert run_json()["fakeidle"] == {
        "name": "fakeidle",
        "distribution": "fake-idle-dist",
        "version": "3.2.1",
        "enabled": False,
        "hooks": [],
    }
    assert "fakeidle  (fake-idle-dist 3.2.1)  installed, not enabled" in run().splitlines()


def test_enabled_plugin_is_listed_with_the_hooks_it_implements(site: FakeSite) -> None:
    install(load_plugins(["fakeactive"]))

    rows = run_json()
    assert rows["fakeactive"] == {
        "name": "fakeactive",
        "distribution": "fake-active-dist",
        "version": "0.4",
        "enabled": True,
        "hooks": ["check_configuration", "resolve_home_url"],
    }
    assert rows["fakeidle"]["enabled"] is False

    text = run()
    assert (
        "fakeactive  (fake-active-dist 0.4)  enabled\n"
        "    check_configuration\n"
        "    resolve_home_url\n"
    ) in text
