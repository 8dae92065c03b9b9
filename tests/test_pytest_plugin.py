"""The test kit's pytest plugin in runs of its own: xdist workers and the database markers.

Each case runs pytest in a subprocess on a small generated test file (without
pytest-django: these tests need no settings), as a plugin's suite would run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MARKETPLACE_TEST_", "PYTEST_XDIST_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider",
         "-c", os.devnull, "--rootdir", str(folder), *args, str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=280,
    )


def test_each_xdist_worker_has_a_run_folder_of_its_own(tmp_path: Path) -> None:
    """Tests that list product files (or open the SQLite file) never meet another
    worker's: the run's folder holds one folder per worker."""
    (tmp_path / "test_where.py").write_text(
        "import os, pathlib\n"
        "def test_where(tmp_path_factory):\n"
        "    worker = os.environ['PYTEST_XDIST_WORKER']\n"
        f"    pathlib.Path({str(tmp_path)!r}, worker + '.txt').write_text(\n"
        "        os.environ['MARKETPLACE_TEST_RUN_DIR'])\n"
    )

    result = run_pytest(tmp_path, "-n", "2", "--dist", "each")

    assert result.returncode == 0, result.stdout + result.stderr
    folders = {Path((tmp_path / f"gw{n}.txt").read_text()) for n in (0, 1)}
    assert len(folders) == 2
    assert {folder.name for folder in folders} == {"gw0", "gw1"}
    assert all(folder.is_dir() for folder in folders)
    assert len({folder.parent for folder in folders}) == 1  # inside the run's folder


def test_postgres_only_tests_are_deselected_on_sqlite(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(
        "import pytest\n"
        "@pytest.mark.postgres_only\n"
        "def test_needs_postgres(): pass\n"
        "@pytest.mark.by_database\n"
        "def test_on_both(): pass\n"
        "@pytest.mark.smoke\n"
        "def test_flow(): pass\n"
    )

    result = run_pytest(tmp_path, "--strict-markers", "--marketplace-db=sqlite", "-v")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_on_both PASSED" in result.stdout
    assert "test_flow PASSED" in result.stdout
    assert "test_needs_postgres" not in result.stdout
    assert "2 passed, 1 deselected" in result.stdout
