#!/usr/bin/env python3
"""Developer entry point; needs only Python 3.11+ and git.

    python3 dev.py demo   # example site with demo data on http://127.0.0.1:8000
    python3 dev.py test   # the whole test suite (every tox environment, side by side)
    python3 dev.py test -e core-sqlite -- -k search   # arguments go to `tox run`

Creates ``.venv/`` on first use and installs what the command needs into it.
The tests also start PostgreSQL, Redis and Chromium from the machine's own
packages: on Debian or Ubuntu as root, ``test`` installs whichever is missing
with apt-get; elsewhere it stops and names the packages to install (the tests
never skip a missing service). ``test`` also fetches the npm package the browser
sweep injects into pages (axe-core, into the git-ignored .test-deps/).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PLUGINS = ["payments_dodo", "storage_s3", "notify_telegram", "support", "shorturl", "analytics_ga4",
           "licenses"]
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def run(*args: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=kwargs.pop("cwd", ROOT), **kwargs)  # type: ignore[arg-type]


def ensure_venv() -> None:
    if not PYTHON.exists():
        if sys.version_info < (3, 11):
            sys.exit("Python 3.11 or newer is needed.")
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "uv")


def install(*requirements: str) -> None:
    """Install into .venv with uv (fast), falling back to pip."""
    uv = BIN / "uv"
    if uv.exists():
        run(uv, "pip", "install", "--quiet", "--python", PYTHON, *requirements)
    else:
        run(PYTHON, "-m", "pip", "install", "--quiet", *requirements)
    # stevedore caches entry points per sys.path; a fresh install must be seen at once.
    shutil.rmtree(Path.home() / ".cache" / "python-entrypoints", ignore_errors=True)


def editable_everything() -> list[str]:
    args = ["-e", ".[postgres]"]
    for name in PLUGINS:
        args += ["-e", f"plugins/{name}"]
    return [*args, "-r", "example_site/requirements.txt"]


def demo(argv: list[str]) -> None:
    ensure_venv()
    install(*editable_everything())
    manage = ["example_site/manage.py"]
    run(PYTHON, *manage, "migrate", "--noinput")
    run(PYTHON, *manage, "seed_demo")
    address = argv[0] if argv else "127.0.0.1:8000"
    print(f"\nDemo: http://{address}/  (log in as buyer@example.com, seller@example.com or "
          "staff@example.com (staff, admin at /admin/), password: demo-password)\n", flush=True)
    run(PYTHON, *manage, "runserver", address)


def runnable(command: str) -> bool:
    try:
        done = subprocess.run([command, "--version"], capture_output=True, check=False)
        return done.returncode == 0
    except OSError:
        return False


def path_with_pythons(path: str) -> str:
    """``path`` plus the folders of Python 3.12/3.13 installs that are not on it.

    tox runs core on Python 3.13 too; pyenv (as on our CI image) installs it
    without putting ``python3.13`` on the PATH unless it is a "global" version.
    """
    extra = []
    for version in ("3.13", "3.12"):
        if runnable(f"python{version}"):
            continue
        home = os.path.expanduser("~/.pyenv/versions")
        for folder in sorted(glob.glob(f"{home}/{version}*/bin"), reverse=True):
            if os.access(os.path.join(folder, f"python{version}"), os.X_OK):
                extra.append(folder)
                break
    return os.pathsep.join([*extra, path])


#: Debian package for each program the tests start (npm fetches axe-core: fetch_test_tools).
SERVICES = {"redis-server": "redis-server", "initdb": "postgresql", "chromium": "chromium",
            "npm": "npm"}


def missing_services() -> list[str]:
    missing = []
    for program, package in SERVICES.items():
        found = shutil.which(program) or (
            program == "initdb" and glob.glob("/usr/lib/postgresql/*/bin/initdb")
        ) or (
            # As marketplace_core.testing.browser.chromium_path looks for it.
            program == "chromium"
            and (os.environ.get("MARKETPLACE_CHROMIUM") or shutil.which("chromium-browser"))
        )
        if not found:
            missing.append(package)
    return missing


def ensure_services() -> None:
    missing = missing_services()
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)
        return
    sys.exit(
        "The tests start these services, which are not installed: " + ", ".join(missing)
        + ".\nInstall them with your package manager (Debian/Ubuntu: "
        f"sudo apt-get install {' '.join(missing)}) and run again."
    )


def fetch_test_tools() -> None:
    """Fetch the npm package the browser sweep injects into pages (axe-core, pinned in
    integration/page_checks.py) into the git-ignored .test-deps/, unless it is there."""
    pin = re.search(r'^AXE_CORE_PACKAGE = "(.+)"$',
                    (ROOT / "integration" / "page_checks.py").read_text(), re.MULTILINE)
    if pin is None:
        sys.exit("integration/page_checks.py has no AXE_CORE_PACKAGE line.")
    package = pin.group(1)
    folder = ROOT / ".test-deps"
    installed = folder / "node_modules" / "axe-core" / "package.json"
    if installed.is_file() and json.loads(installed.read_text()).get("version") == (
            package.rpartition("@")[2]):
        return
    run("npm", "install", "--prefix", folder, "--no-save", "--no-audit", "--no-fund",
        "--ignore-scripts", package)


def parallel_jobs() -> int:
    """How many tox environments run at once: one per CPU, plus one.

    Core's suites use a pytest-xdist worker per CPU; the integration and plugin
    suites spend much of their time waiting on servers, workers and a browser,
    which the extra environment fills. ``TOX_PARALLEL`` overrides it.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return int(os.environ.get("TOX_PARALLEL") or (cpus or 1) + 1)


def test(argv: list[str]) -> None:
    ensure_services()
    fetch_test_tools()
    ensure_venv()
    install("tox>=4.20", "tox-uv>=1.11")
    env = {**os.environ, "PATH": path_with_pythons(os.environ.get("PATH", ""))}
    # --recreate: tox reinstalls an environment's deps only when their list changes, so
    # a plugin's or core's code, installed from its folder as a dep, would stay as an
    # earlier run left it; recreated (uv makes it seconds), each run tests the checkout.
    if argv:
        run(BIN / "tox", "run", "--recreate", *argv, env=env)
        return
    # Each environment's output is printed when it ends (a failing one's included),
    # then tox's summary: the result and time of every environment.
    started = time.monotonic()
    try:
        run(BIN / "tox", "run-parallel", "--recreate", "--parallel", str(parallel_jobs()),
            env=env)
    finally:
        minutes, seconds = divmod(round(time.monotonic() - started), 60)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
        print(f"dev.py test: {minutes} min {seconds} s for every environment "
              f"(load average now {load})", flush=True)


def main() -> None:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
