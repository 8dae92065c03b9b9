"""Event hooks: delivered after commit, never on rollback, each plugin isolated."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from marketplace_core.plugins.events import deliver, emit
from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import call_each, install
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]


def recording_hooks(site: FakeSite, name: str, *, fail: bool = False) -> str:
    """``ownership_revoked`` appends ``(plugin, purchase, reason)`` to the sink, or raises."""
    body = (
        f"    raise RuntimeError('{name} cannot handle ' + purchase)\n"
        if fail
        else f"    CALLS.append(({name!r}, purchase, reason))\n"
    )
    return (
        f"from {site.prefix}_sink import CALLS\n\n\n"
        "@hookimpl\n"
        "def ownership_revoked(purchase, reason):\n" + body
    )


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Three enabled plugins; the middle one raises. Yields what the others received."""
    with fake_site(tmp_path, monkeypatch) as site, preserved_plugin_manager():
        site.write_module(f"{site.prefix}_sink", "CALLS = []\n")
        site.add_plugin("fakefirst", hooks=recording_hooks(site, "fakefirst"))
        site.add_plugin("fakeraiser", hooks=recording_hooks(site, "fakeraiser", fail=True))
        site.add_plugin("fakelast", hooks=recording_hooks(site, "fakelast"))
        install(load_plugins(["fakefirst", "fakeraiser", "fakelast"]))
        yield importlib.import_module(f"{site.prefix}_sink").CALLS


def test_event_in_a_transaction_is_delivered_only_after_commit(calls: list[Any]) -> None:
    with transaction.atomic():
        emit("ownership_revoked", purchase="P1", reason="refund")
        assert calls == []

    assert calls == [("fakefirst", "P1", "refund"), ("fakelast", "P1", "refund")]


def test_event_is_not_delivered_when_the_transaction_rolls_back(calls: list[Any]) -> None:
    with pytest.raises(RuntimeError, match="caller failed"), transaction.atomic():
        emit("ownership_revoked", purchase="P1", reason="refund")
        raise RuntimeError("caller failed")

    assert calls == []


def test_event_in_a_rolled_back_savepoint_is_dropped(calls: list[Any]) -> None:
    with transaction.atomic():
        emit("ownership_revoked", purchase="kept", reason="refund")
        with pytest.raises(RuntimeError), transaction.atomic():
            emit("ownership_revoked", purchase="dropped", reason="refund")
            raise RuntimeError

    assert [purchase for _, purchase, _ in calls] == ["kept", "kept"]


def test_event_outside_a_transaction_is_delivered_at_once(calls: list[Any]) -> None:
    emit("ownership_revoked", purchase="P2", reason="chargeback")

    assert calls == [("fakefirst", "P2", "chargeback"), ("fakelast", "P2", "chargeback")]


def test_failing_plugin_is_logged_by_name_and_does_not_stop_the_others(
    calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="marketplace_core.events"), transaction.atomic():
        emit("ownership_revoked", purchase="P3", reason="refund")

    assert calls == [("fakefirst", "P3", "refund"), ("fakelast", "P3", "refund")]
    [record] = [r for r in caplog.records if r.name == "marketplace_core.events"]
    assert record.levelno == logging.ERROR
    assert "fakeraiser" in record.getMessage()
    assert "ownership_revoked" in record.getMessage()
    assert record.exc_info is not None
    assert "fakeraiser cannot handle P3" in str(record.exc_info[1])


def test_unknown_event_fails_when_emitted_not_after_commit(calls: list[Any]) -> None:
    with pytest.raises(ValueError, match="ownership_revokd"), transaction.atomic():
        emit("ownership_revokd", purchase="P4", reason="refund")

    assert calls == []


def test_event_with_wrong_arguments_fails_when_emitted(calls: list[Any]) -> None:
    with pytest.raises(TypeError, match="reason"), transaction.atomic():
        emit("ownership_revoked", purchase="P5", reson="refund")

    with pytest.raises(TypeError, match="reason"), transaction.atomic():
        emit("ownership_revoked", purchase="P5")

    assert calls == []


def test_call_each_returns_the_answers_and_the_failed_plugins(
    calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("marketplace_core.events")
    kwargs = {"purchase": "P6", "reason": "refund"}
    with caplog.at_level(logging.ERROR, logger="marketplace_core.events"):
        answers = call_each("ownership_revoked", kwargs, logger=log, failing="on purpose")

    assert answers.answers == [("fakefirst", None), ("fakelast", None)]
    assert answers.failed == ["fakeraiser"]
    assert answers.result == []  # pluggy leaves None answers out
    assert calls == [("fakefirst", "P6", "refund"), ("fakelast", "P6", "refund")]
    [record] = [r for r in caplog.records if r.name == "marketplace_core.events"]
    assert record.getMessage() == "Plugin 'fakeraiser' failed on purpose"
    assert record.exc_info is not None
    assert deliver("ownership_revoked", kwargs) == ["fakeraiser"]
