"""The example site in processes of its own, for the integration tests.

``example_site_worker`` starts the example site's Celery worker under a given
settings module (Redis broker, the test database). Fixtures use it in
``integration/conftest.py``, ``integration/mailbox.py`` and the conftests of the
sub-suites (``integration/dodo``, ``integration/telegram``), which run in pytests
of their own but still import this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from marketplace_core.testing.workers import CeleryWorker, database_url_for_test_db

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def example_site_worker(settings_module: str, **env: str) -> Iterator[CeleryWorker]:
    """A real Celery worker of the example site with ``DJANGO_SETTINGS_MODULE`` set to
    ``settings_module`` and ``env`` added to its environment, on the test database;
    stopped on leaving the block. Use it from fixtures that depend on
    ``transactional_db`` and ``live_server``, so that the worker sees committed data."""
    worker = CeleryWorker(
        "example_site",
        env={
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url_for_test_db(),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
            **env,
        },
        cwd=ROOT,
    ).start()
    try:
        yield worker
    finally:
        worker.stop()

