"""The lint environment type-checks core and every plugin in one mypy run with the root
``pyproject.toml``'s configuration (``tox.ini``): that is only the check each plugin asks
for if every plugin's ``[tool.mypy]`` options are the root's. ``exclude`` may differ (a
plugin's is about its own folder, and the run names each package's source folder).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_PROJECTS = sorted(ROOT.glob("plugins/*/pyproject.toml"))
#: Options with no effect on what mypy reports (``strict = false`` is mypy's default).
NEUTRAL = {"exclude", "strict"}


def mypy_options(project: Path) -> dict[str, object]:
    options = tomllib.loads(project.read_text())["tool"]["mypy"]
    assert options.get("strict", False) is False, f"{project}: strict would need its own run"
    return {key: value for key, value in options.items() if key not in NEUTRAL}


def test_every_plugin_is_found() -> None:
    assert [p.parent.name for p in PLUGIN_PROJECTS] == [
        "analytics_ga4", "licenses", "notify_telegram", "payments_dodo", "shorturl", "storage_s3",
        "support"]


@pytest.mark.parametrize("project", PLUGIN_PROJECTS, ids=lambda p: p.parent.name)
def test_plugin_mypy_options_are_the_roots(project: Path) -> None:
    assert mypy_options(project) == mypy_options(ROOT / "pyproject.toml")


def test_the_lint_run_names_every_plugin() -> None:
    tox = (ROOT / "tox.ini").read_text()
    for project in PLUGIN_PROJECTS:
        name = project.parent.name
        assert f"plugins/{name}/src/marketplace_{name}" in tox
        assert name in tox.split("MARKETPLACE_TYPECHECK_PLUGINS =")[1].splitlines()[0]
