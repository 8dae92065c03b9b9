"""The test kit's pytest plugin in runs of its own: the database markers.

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
