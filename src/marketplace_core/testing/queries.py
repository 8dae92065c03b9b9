"""Reading the SQL a request ran, for tests that hold a request to a query budget."""

from __future__ import annotations

from django.test.utils import CaptureQueriesContext


def split_at_commit(queries: CaptureQueriesContext) -> tuple[list[str], list[str]]:
    """The statements ``queries`` captured up to and including the first ``COMMIT``,
    and those after it.

    With Celery running tasks in process (no broker, as in tests), what a
    request queued after commit runs right after that ``COMMIT``: the first
    part is the request's own transaction (a webhook delivery's budget), the
    second the tasks' work, which a worker does in production. Raises
    ``AssertionError`` when no transaction was committed.
    """
    statements = [query["sql"] for query in queries.captured_queries]
    for index, sql in enumerate(statements):
        if sql.upper().startswith("COMMIT"):
            return statements[:index + 1], statements[index + 1:]
    raise AssertionError(f"no COMMIT among {len(statements)} statements: {statements}")
