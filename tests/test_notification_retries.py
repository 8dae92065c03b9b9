"""Retries of core's notification task through a real Celery worker.

The worker runs in a thread of this process (``celery.contrib.testing.worker``)
on the in-memory broker, so countdowns are real; the channel is the test
webhook channel (:mod:`tests.webhook_channel`) and its inbox answers 429, 5xx
or 403 on demand. The inbox records when each request arrived.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.services import queue_now
from marketplace_core.notifications.tasks import RETRY_LATER_MARGIN
from marketplace_core.testing.contracts import wait_until
from tests.notification_fixtures import (  # noqa: F401 - fixtures
    inbox,
    inbox_server,
    worker_thread,
)
from tests.webhook_channel import NAME, Received, WebhookInbox, installed_webhook_channel

LOGGER = "tests.webhook_channel"
BACKOFF = 0.4
MAX_RETRIES = 3
#: Early timers happen; a retry this much before its time still counts as on time.
SLACK = 0.05


@pytest.fixture
def worker(worker_thread: None, inbox: WebhookInbox,  # noqa: F811
           settings: Any) -> Iterator[WebhookInbox]:
    """The inbox, with the channel's backoff shortened for the worker."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, NAME: {
        **settings.MARKETPLACE[NAME], "RETRY_BACKOFF": BACKOFF, "MAX_RETRIES": MAX_RETRIES,
    }}
    with installed_webhook_channel():  # changing MARKETPLACE reloaded the plugins
        yield inbox


def queue(title: str) -> None:
    queue_now(Notification(event="test", title=title, body="Body",
                           data={"id": f"retry:{uuid.uuid4().hex}"}))


def gaps(attempts: list[Received]) -> list[float]:
    return [b.received_at - a.received_at for a, b in itertools.pairwise(attempts)]


def test_retry_later_waits_the_delay_then_sends_once(worker: WebhookInbox) -> None:
    worker.fail_next(429, retry_after=1)
    queue("Rate limited")
    wait_until(lambda: worker.texts != [], timeout=20, what="a delivered notification")
    time.sleep(BACKOFF * 3)  # nothing else follows
    assert [a.status for a in worker.attempts] == [429, 200]
    assert gaps(worker.attempts)[0] >= 1.0 + RETRY_LATER_MARGIN - SLACK
    assert worker.texts == ["Rate limited\n\nBody"]


def test_other_errors_are_retried_with_exponential_backoff(worker: WebhookInbox) -> None:
    worker.fail_next(502, times=2)
    queue("Outage")
    wait_until(lambda: worker.texts != [], timeout=20, what="a delivered notification")
    assert [a.status for a in worker.attempts] == [502, 502, 200]
    first, second = gaps(worker.attempts)
    assert first >= BACKOFF - SLACK
    assert second >= 2 * BACKOFF - SLACK


def test_gives_up_after_max_retries(worker: WebhookInbox, caplog: Any) -> None:
    worker.fail_next(503, times=MAX_RETRIES + 5)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        queue("Hopeless")
        wait_until(lambda: "gave up" in caplog.text, timeout=20, what="giving up")
        time.sleep(BACKOFF * 4)
    assert [a.status for a in worker.attempts] == [503] * (MAX_RETRIES + 1)
    assert worker.texts == []
    assert (f"Test webhook: gave up on the test notification 'Hopeless' after {MAX_RETRIES} "
            "retries: HTTP 503: refused with 503") in caplog.text
    assert "(retry 3 of 3)" in caplog.text


def test_a_permanent_failure_is_not_retried_by_a_worker(worker: WebhookInbox,
                                                        caplog: Any) -> None:
    worker.fail_next(403)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        queue("Forbidden")
        wait_until(lambda: "refused the test notification 'Forbidden'" in caplog.text,
                   timeout=20, what="the refusal")
        time.sleep(BACKOFF * 4)  # a retry would have come by now
    assert [a.status for a in worker.attempts] == [403]
