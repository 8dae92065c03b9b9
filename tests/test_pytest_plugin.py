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


def test_a_test_after_eager_tasks_raced_in_threads_can_still_read_a_result(
        tmp_path: Path) -> None:
    # Two threads inside Celery's eager-task guard, leaving in the other order, leave
    # the process-wide "inside a task" flag set (what threaded eager tasks do under
    # load); the next test must still be able to call result.get().
    (tmp_path / "test_race.py").write_text(
        "import threading\n"
        "from celery import Celery\n"
        "from celery.result import denied_join_result, task_join_will_block\n"
        "def test_threads_leave_the_guard_out_of_order():\n"
        "    first_in, second_in, first_out = (threading.Event() for _ in range(3))\n"
        "    def first():\n"
        "        with denied_join_result():\n"
        "            first_in.set(); assert second_in.wait(30)\n"
        "        first_out.set()\n"
        "    def second():\n"
        "        assert first_in.wait(30)\n"
        "        with denied_join_result():\n"
        "            second_in.set(); assert first_out.wait(30)\n"
        "    threads = [threading.Thread(target=f) for f in (first, second)]\n"
        "    for t in threads: t.start()\n"
        "    for t in threads: t.join(30)\n"
        "    assert task_join_will_block()  # the leak this guards against\n"
        "def test_next_test_reads_an_eager_result():\n"
        "    app = Celery('race', set_as_current=False)\n"
        "    app.conf.task_always_eager = True\n"
        "    @app.task(name='add')\n"
        "    def add(a, b): return a + b\n"
        "    assert add.apply_async((2, 3)).get() == 5\n"
    )

    result = run_pytest(tmp_path, "-p", "no:randomly", "-v")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
