"""Retries through a real Celery worker and Redis broker, against the fake Bot API.

The worker runs ``tests.worker_app`` with a 0.5 s backoff base and 3 retries;
the test process queues core's ``send_notification`` task for the ``telegram``
channel through its own Celery client. The fake refuses early retries after a
429 (as Telegram does), so ``[429, 200]`` proves ``retry_after`` was honoured.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from marketplace_notify_telegram.testing import Attempt, FakeBotAPI

from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.tasks import TASK_NAME
from marketplace_core.testing.workers import CeleryWorker
from tests.conftest import CHAT_ID

PLUGIN_DIR = Path(__file__).resolve().parent.parent
BACKOFF = 0.5
MAX_RETRIES = 3
#: Early timers happen; a retry this much before its time still counts as on time.
SLACK = 0.05


@pytest.fixture(scope="module")
def worker(fake_bot_server: FakeBotAPI, redis_server: Any) -> Iterator[CeleryWorker]:
    worker = CeleryWorker("tests.worker_app", cwd=PLUGIN_DIR, env={
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(PLUGIN_DIR),
        "CELERY_BROKER_URL": redis_server.url,
        "TEST_TELEGRAM_BOT_TOKEN": fake_bot_server.token,
        "TEST_TELEGRAM_CHAT_ID": CHAT_ID,
        "TEST_TELEGRAM_API_URL": fake_bot_server.url,
        "TEST_TELEGRAM_RETRY_BACKOFF": str(BACKOFF),
        "TEST_TELEGRAM_MAX_RETRIES": str(MAX_RETRIES),
    }).start()
    yield worker
    worker.stop()


@pytest.fixture(scope="module")
def broker(redis_server: Any) -> Iterator[Celery]:
    # set_as_current=False: the test process's own (eager) app stays the default.
    app = Celery("sender", broker=redis_server.url, set_as_current=False)
    yield app
    app.close()


@pytest.fixture
def fake(fake_bot_server: FakeBotAPI, worker: CeleryWorker) -> Iterator[FakeBotAPI]:
    fake_bot_server.reset()
    yield fake_bot_server
    fake_bot_server.reset()


def queue(broker: Celery) -> str:
    """Queue a notification with a unique title; returns the title."""
    title = f"Retry test {uuid.uuid4().hex[:8]}"
    note = Notification(event="test", title=title, body="Body", data={"id": title})
    broker.send_task(TASK_NAME, kwargs={"channel_identifier": "telegram",
                                        "notification_data": note.to_data()})
    return title


def attempts_for(fake: FakeBotAPI, title: str) -> list[Attempt]:
    return [a for a in fake.attempts if str(a.payload.get("text", "")).startswith(f"<b>{title}")]


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def gaps(attempts: list[Attempt]) -> list[float]:
    return [b.received_at - a.received_at for a, b in itertools.pairwise(attempts)]


def test_429_waits_retry_after_then_sends_once(fake: FakeBotAPI, broker: Celery) -> None:
    fake.fail_next(429, retry_after=1)
    title = queue(broker)
    wait_for(lambda: any(m.text.startswith(title) for m in fake.messages))
    time.sleep(BACKOFF * 3)  # nothing else follows
    attempts = attempts_for(fake, title)
    assert [a.status for a in attempts] == [429, 200]
    assert gaps(attempts)[0] >= 1.0
    assert [m.text for m in fake.messages if m.text.startswith(title)] == [f"{title}\n\nBody"]


def test_5xx_is_retried_with_exponential_backoff(fake: FakeBotAPI, broker: Celery) -> None:
    fake.fail_next(502, times=2)
    title = queue(broker)
    wait_for(lambda: any(m.text.startswith(title) for m in fake.messages))
    attempts = attempts_for(fake, title)
    assert [a.status for a in attempts] == [502, 502, 200]
    first, second = gaps(attempts)
    assert first >= BACKOFF - SLACK
    assert second >= 2 * BACKOFF - SLACK


@pytest.mark.parametrize(("status", "reason"), [
    (400, "Bad Request: chat not found"),
    (403, "Forbidden: bot was kicked from the supergroup chat"),
])
def test_permanent_errors_are_logged_and_not_retried(status: int, reason: str,
                                                     fake: FakeBotAPI, broker: Celery,
                                                     worker: CeleryWorker) -> None:
    fake.fail_next(status)
    title = queue(broker)
    wait_for(lambda: f"{title!r} (HTTP {status}): {reason}" in worker.output())
    time.sleep(BACKOFF * 4)  # a retry would have come by now
    assert [a.status for a in attempts_for(fake, title)] == [status]
    assert fake.messages == []
    assert fake.token not in worker.output()


def test_gives_up_after_max_retries(fake: FakeBotAPI, broker: Celery,
                                    worker: CeleryWorker) -> None:
    fake.fail_next(503, times=MAX_RETRIES + 5)
    title = queue(broker)
    wait_for(lambda: f"gave up on the test notification {title!r} after {MAX_RETRIES} retries"
             in worker.output())
    time.sleep(BACKOFF * 4)
    assert [a.status for a in attempts_for(fake, title)] == [503] * (MAX_RETRIES + 1)
    assert fake.messages == []
