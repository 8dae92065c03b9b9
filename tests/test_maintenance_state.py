"""How often a process reads the maintenance switch, and what it does when it cannot.

The switch lives in the database; each process reads it at most once per
``RUNTIME_FLAG_TTL`` and keeps its last answer when the database cannot be read.
"""

from __future__ import annotations

import math
import time

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from marketplace_core.maintenance import state
from marketplace_core.maintenance.middleware import UnderConstructionMiddleware
from marketplace_core.maintenance.models import MaintenanceState


def _ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong")


@pytest.mark.django_db
def test_a_process_reads_the_switch_at_most_once_per_ttl(rf: RequestFactory):
    """Many requests in a row cost one query per started second, all of them the switch."""
    middleware = UnderConstructionMiddleware(_ping)
    state.forget_runtime_flag()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(300):
            assert middleware(rf.get("/")).content == b"pong"
    elapsed = time.monotonic() - started
    assert 1 <= len(queries) <= math.ceil(elapsed / state.RUNTIME_FLAG_TTL) + 1
    table = MaintenanceState._meta.db_table
    assert all(table in query["sql"] for query in queries.captured_queries), queries


def test_unreadable_database_keeps_the_last_answer(rf: RequestFactory, caplog):
    """No database access here (pytest-django refuses to connect, as a server that
    is down would): pages keep answering as before and the failure is logged."""
    middleware = UnderConstructionMiddleware(_ping)
    state.forget_runtime_flag()  # never read in this process: off
    with caplog.at_level("WARNING", logger="marketplace_core.maintenance"):
        assert middleware(rf.get("/")).content == b"pong"
    assert "Cannot read the maintenance switch from the database; keeping maintenance " \
           "mode off." in caplog.text

    state.remember(state.RuntimeState(enabled=True, message="Upgrading"), seconds=0)
    caplog.clear()
    with caplog.at_level("WARNING", logger="marketplace_core.maintenance"):
        response = middleware(rf.get("/"))
    assert response.status_code == 503
    assert "Upgrading" in response.content.decode()
    assert "keeping maintenance mode on." in caplog.text
