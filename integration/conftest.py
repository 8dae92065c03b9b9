from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def celery_worker(transactional_db, live_server):
    """A real Celery worker (Redis broker) on the test database, for one test."""
    import os

    from marketplace_core.testing.workers import CeleryWorker, database_url_for_test_db

    worker = CeleryWorker(
        "example_site",
        env={
            "DJANGO_SETTINGS_MODULE": "integration.settings",
            "DATABASE_URL": database_url_for_test_db(),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        },
        cwd=ROOT,
    ).start()
    yield worker
    worker.stop()
