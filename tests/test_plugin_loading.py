"""Discovery and enabling: which plugins exist, which are on, and loud failures.

Every test installs real fake distributions (``.dist-info`` with entry points)
into a fresh folder on ``sys.path``; see :mod:`tests.fakeplugins`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace_core.plugins.loading import (
    PluginLoadError,
    PluginNotInstalled,
    installed_plugins,
    load_plugins,
    plugin_apps,
)
from marketplace_core.plugins.metadata import PluginInfo
from tests.fakeplugins import FakeSite, fake_site


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    with fake_site(tmp_path, monkeypatch) as s:
        yield s


def test_enabled_plugins_load_as_their_plugin_info(site: FakeSite) -> None:
    pkg = site.add_plugin("fakealpha")

    [info] = load_plugins(["fakealpha"])

    assert isinstance(info, PluginInfo)
    assert info.name == "fakealpha"
    assert info.hooks == f"{pkg}.hooks"


def test_installing_is_not_enabling(site: FakeSite) -> None:
    site.add_plugin("fakealpha", dist="fake-alpha-dist", version="1.2.3")

    assert load_plugins([]) == []
    found = installed_plugins()["fakealpha"]
    assert (found.distribution, found.distribution_version) == ("fake-alpha-dist", "1.2.3")


def test_unknown_name_is_named_and_installed_plugins_are_listed(site: FakeSite) -> None:
    site.add_plugin("fakealpha")
    site.add_plugin("fakebeta")

    with pytest.raises(ImproperlyConfigured) as excinfo:
        plugin_apps(["fakealpha", "fake_typo"])

    assert isinstance(excinfo.value, PluginNotInstalled)
    message = str(excinfo.value)
    assert "fake_typo" in message
    listing = message.split("Installed plugins:")[1]
    assert "fakealpha" in listing and "fakebeta" in listing


@pytest.mark.parametrize(
    ("plugin_source", "reason"),
    [
        ("import fake_dependency_that_is_not_installed\n", "fake_dependency_that_is_not_installed"),
        ("def broken(:\n", "SyntaxError"),
        ("raise RuntimeError('boom at import')\n", "boom at import"),
        ("assert False, 'plugin asserts at import'\n", "plugin asserts at import"),
    ],
    ids=["missing-dependency", "syntax-error", "raises", "assertion"],
)
def test_import_failure_names_the_plugin(site: FakeSite, plugin_source: str, reason: str) -> None:
    site.add_plugin("fakebroken", plugin_module=plugin_source)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        load_plugins(["fakebroken"])

    assert isinstance(excinfo.value, PluginLoadError)
    assert "'fakebroken'" in str(excinfo.value)
    assert reason in str(excinfo.value)


def test_entry_point_naming_a_missing_attribute_names_the_plugin(site: FakeSite) -> None:
    site.add_plugin("fakebroken", entry_point=f"{site.package('fakebroken')}.plugin:nothing")

    with pytest.raises(PluginLoadError, match="'fakebroken'"):
        load_plugins(["fakebroken"])


def test_entry_point_not_pointing_at_a_plugin_info_is_refused(site: FakeSite) -> None:
    site.add_plugin(
        "fakedict",
        plugin_module="plugin = {'name': 'fakedict', 'app': 'somewhere'}\n",
    )

    with pytest.raises(PluginLoadError) as excinfo:
        load_plugins(["fakedict"])

    assert "'fakedict'" in str(excinfo.value)
    assert "PluginInfo" in str(excinfo.value)


def test_plugin_info_named_differently_from_its_entry_point_is_refused(site: FakeSite) -> None:
    site.add_plugin("fakeentry", info_name="fakeother")

    with pytest.raises(PluginLoadError) as excinfo:
        load_plugins(["fakeentry"])

    assert "'fakeentry'" in str(excinfo.value)
    assert "'fakeother'" in str(excinfo.value)


def test_a_name_listed_twice_is_refused(site: FakeSite) -> None:
    site.add_plugin("fakealpha")
    site.add_plugin("fakebeta")

    with pytest.raises(ImproperlyConfigured, match="fakealpha"):
        plugin_apps(["fakealpha", "fakebeta", "fakealpha"])


def test_two_distributions_claiming_one_name_are_refused(site: FakeSite) -> None:
    first = site.add_plugin("fakeclash", dist="fake-clash-one")
    site.write_distribution("fake-clash-two", "0.1", {"fakeclash": f"{first}.other:plugin"})

    with pytest.raises(ImproperlyConfigured) as excinfo:
        load_plugins(["fakeclash"])

    message = str(excinfo.value)
    assert "fakeclash" in message
    assert "fake-clash-one" in message and "fake-clash-two" in message


def test_plugin_apps_follow_settings_order(site: FakeSite) -> None:
    packages = {name: site.add_plugin(name) for name in ("fakealpha", "fakebeta", "fakegamma")}

    apps = plugin_apps(["fakegamma", "fakealpha", "fakebeta"])

    assert apps == [
        f"{packages['fakegamma']}.apps.FakeConfig",
        f"{packages['fakealpha']}.apps.FakeConfig",
        f"{packages['fakebeta']}.apps.FakeConfig",
    ]


def test_plugin_installed_after_a_first_lookup_is_found(site: FakeSite, tmp_path_factory:
                                                        pytest.TempPathFactory,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Entry-point caches never hide a plugin installed later in the same process."""
    site.add_plugin("fakealpha")
    assert [i.name for i in load_plugins(["fakealpha"])] == ["fakealpha"]

    # Installed into the same folder (same sys.path) ...
    site.add_plugin("fakelater")
    assert [i.name for i in load_plugins(["fakelater"])] == ["fakelater"]

    # ... and into a new folder put on sys.path.
    with fake_site(tmp_path_factory.mktemp("other-site"), monkeypatch) as other:
        other.add_plugin("fakeelsewhere")
        assert [i.name for i in load_plugins(["fakeelsewhere", "fakealpha"])] == [
            "fakeelsewhere",
            "fakealpha",
        ]


def test_reinstalled_plugin_is_seen_by_the_next_process(site: FakeSite, tmp_path: Path) -> None:
    """Like ``pip install -e`` after fixing an entry point: no stale on-disk cache.

    stevedore keeps an entry-point cache in ``~/.cache/python-entrypoints`` keyed
    by the mtimes of ``sys.path`` entries (rounded to 32-bit floats, so about two
    minutes apart); a rewrite within that window must still be seen.
    """
    pkg = site.add_plugin("fakefixed", entry_point="wrong_module_name:plugin")
    env = {
        **os.environ,
        "PYTHONPATH": str(site.root),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
    }
    script = textwrap.dedent(
        """
        from marketplace_core.plugins.loading import plugin_apps
        print(plugin_apps(["fakefixed"]))
        """
    )

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )

    broken = run()
    assert broken.returncode != 0
    assert "fakefixed" in broken.stderr

    site.write_distribution("fake-fakefixed", "0.1", {"fakefixed": f"{pkg}.plugin:plugin"})
    fixed = run()
    assert fixed.returncode == 0, fixed.stderr
    assert f"{pkg}.apps.FakeConfig" in fixed.stdout


def test_plugins_setting_must_be_a_list_of_names(site: FakeSite) -> None:
    from django.test.utils import override_settings

    site.add_plugin("fakealpha")

    for wrong in ("fakealpha", None, {"fakealpha"}, ["fakealpha", 7]):
        with pytest.raises(ImproperlyConfigured, match="must be a list of plugin names"):
            plugin_apps(wrong)  # type: ignore[arg-type]
    # At start-up (AppConfig.ready / settings change) too, not one plugin per letter.
    with (
        pytest.raises(ImproperlyConfigured, match="must be a list of plugin names"),
        override_settings(MARKETPLACE={"PLUGINS": "fakealpha"}),
    ):
        pass  # pragma: no cover
