"""Every distribution builds an sdist holding only itself and its license, a wheel
builds from that sdist and installs into a fresh virtualenv, and the plugins'
entry points resolve there to their metadata."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from uv import find_uv_bin  # build[uv]: isolated builds and installs with uv, not pip

PLUGINS = ["payments_dodo", "storage_s3", "notify_telegram", "support", "shorturl", "analytics_ga4",
           "licenses"]

CHECK = textwrap.dedent(
    """
    import importlib.metadata, json
    from marketplace_core import PluginInfo, __version__
    from marketplace_core.plugins.loading import load_plugins, plugin_apps
    eps = importlib.metadata.entry_points(group="marketplace.plugins")
    names = sorted(ep.name for ep in eps)
    infos = load_plugins(names)
    assert all(isinstance(i, PluginInfo) for i in infos)
    import marketplace_core, pathlib
    pkg = pathlib.Path(marketplace_core.__file__).parent
    print(json.dumps({
        "names": names,
        "apps": plugin_apps(names),
        "dists": sorted(ep.dist.metadata["Name"] for ep in eps),
        "core": __version__,
        "typed": (pkg / "py.typed").exists(),
        "migrations": (pkg / "migrations" / "0001_initial.py").exists(),
        "templates": (pkg / "templates" / "marketplace_core" / "base.html").exists(),
    }))
    """
)


#: What an sdist holds besides its package (hatchling adds the VCS ignore file to every sdist).
SDIST_FILES = {"pyproject.toml", "PKG-INFO", "README.md", "LICENSE", ".gitignore"}


@pytest.fixture(scope="module")
def dist(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each distribution's sdist, and its wheel built from that sdist (``python -m build``,
    its isolated build environments made by uv)."""
    out = tmp_path_factory.mktemp("dist")
    for project in [repo_root] + [repo_root / "plugins" / name for name in PLUGINS]:
        subprocess.run([sys.executable, "-m", "build", "--installer", "uv", "--outdir", str(out),
                        str(project)], check=True, capture_output=True)
    return out


def sdist_files(sdist: Path) -> dict[str, bytes]:
    """The files of ``sdist`` by path inside its top folder (``name-version/``)."""
    files: dict[str, bytes] = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member)  # None for folders
            if handle is not None:
                files[member.name.split("/", 1)[1]] = handle.read()
    return files


@pytest.mark.timeout(900)
def test_sdists_hold_only_their_distribution_and_its_license(repo_root: Path, dist: Path) -> None:
    license_text = (repo_root / "LICENSE").read_bytes()
    [core_sdist] = dist.glob("marketplace_core-*.tar.gz")
    core = sdist_files(core_sdist)
    # Core alone: no plugin, example site, docs, tests or benchmarks.
    assert set(core) - SDIST_FILES == {n for n in core if n.startswith("src/marketplace_core/")}
    assert {"src/marketplace_core/migrations/0001_initial.py", "src/marketplace_core/py.typed",
            "src/marketplace_core/templates/marketplace_core/base.html"} <= set(core)
    assert core["LICENSE"] == license_text
    for name in PLUGINS:
        [sdist] = dist.glob(f"marketplace_{name}-*.tar.gz")
        files = sdist_files(sdist)
        package = f"src/marketplace_{name}/"
        stray = {n for n in files if n not in SDIST_FILES and not n.startswith((package, "tests/"))}
        assert stray == set(), name
        assert files["LICENSE"] == license_text, name
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == len(PLUGINS) + 1, [w.name for w in wheels]
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            info = next(n.split("/")[0] for n in archive.namelist() if ".dist-info/" in n)
            metadata = archive.read(f"{info}/METADATA").decode()
            assert "License-Expression: BSD-3-Clause" in metadata.splitlines(), wheel.name
            assert "License-File: LICENSE" in metadata.splitlines(), wheel.name
            assert archive.read(f"{info}/licenses/LICENSE") == license_text, wheel.name


@pytest.mark.timeout(900)
def test_wheels_install_and_entry_points_resolve(dist: Path, tmp_path: Path) -> None:
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == len(PLUGINS) + 1, [w.name for w in wheels]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([find_uv_bin(), "pip", "install", "--quiet", "--python", str(python),
                    *map(str, wheels)], check=True, capture_output=True)
    out = subprocess.run([str(python), "-c", CHECK], check=True, capture_output=True, text=True,
                         cwd=tmp_path)
    report = json.loads(out.stdout)
    assert report["names"] == sorted(PLUGINS)
    assert report["dists"] == sorted("marketplace-" + n.replace("_", "-") for n in PLUGINS)
    assert "marketplace_notify_telegram.apps.NotifyTelegramConfig" in report["apps"]
    assert report["typed"] and report["migrations"] and report["templates"]
