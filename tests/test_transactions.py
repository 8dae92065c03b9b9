"""after_commit: work queued for after the commit, that cannot break the caller."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from marketplace_core.transactions import after_commit

pytestmark = pytest.mark.django_db(transaction=True)


def send_receipt(order: str, calls: list[str]) -> None:
    raise ConnectionError(f"broker down while sending {order}")


def test_a_failing_callback_is_logged_and_the_others_still_run(caplog):
    calls: list[str] = []
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        after_commit(send_receipt, "order-1", calls)
        after_commit(calls.append, "notified")
        assert calls == []  # nothing before the commit
    assert calls == ["notified"]
    [record] = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert "send_receipt" in record.getMessage()
    assert "broker down while sending order-1" in str(record.exc_info[1])


def test_keyword_arguments_reach_the_callback():
    calls: list[tuple[str, int]] = []
    with transaction.atomic():
        after_commit(lambda name, countdown: calls.append((name, countdown)), "a.pdf",
                     countdown=0)
    assert calls == [("a.pdf", 0)]


def test_a_rollback_drops_the_callback():
    calls: list[str] = []
    with pytest.raises(RuntimeError), transaction.atomic():
        after_commit(calls.append, "never")
        raise RuntimeError("the order failed")
    assert calls == []
