"""Every distribution builds a wheel that installs into a fresh virtualenv, and
the plugins' entry points resolve there to their metadata."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGINS = ["payments_dodo", "storage_s3", "notify_telegram", "support", "shorturl"]

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


@pytest.mark.timeout(900)
def test_wheels_install_and_entry_points_resolve(repo_root: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    projects = [repo_root] + [repo_root / "plugins" / name for name in PLUGINS]
    for project in projects:
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(project)],
            check=True, capture_output=True,
        )
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 6, [w.name for w in wheels]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *map(str, wheels)],
                   check=True, capture_output=True)
    out = subprocess.run([str(python), "-c", CHECK], check=True, capture_output=True, text=True,
                         cwd=tmp_path)
    report = json.loads(out.stdout)
    assert report["names"] == sorted(PLUGINS)
    assert report["dists"] == sorted("marketplace-" + n.replace("_", "-") for n in PLUGINS)
    assert report["apps"][0] == "marketplace_notify_telegram.apps.NotifyTelegramConfig"
    assert report["typed"] and report["migrations"] and report["templates"]
