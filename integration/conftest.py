from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration.processes import ROOT, example_site_worker
from marketplace_core.testing.workers import CeleryWorker


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def celery_worker(transactional_db: Any, live_server: Any) -> Iterator[CeleryWorker]:
    """A real Celery worker (Redis broker) on the test database, for one test."""
    with example_site_worker("integration.settings") as worker:
        yield worker
