"""Two tasks carrying the same notification send it once (the claim in the cache).

A broker may deliver a task again while the first delivery is still sending
(a worker lost its connection, a visibility timeout passed). Core's task claims
``(channel, id)`` with the cache's atomic ``add`` before sending: only the
claimant sends; a failed send releases the claim so a retry can send; a sent
notification's key is kept for a week.

The channel is the test webhook channel (:mod:`tests.webhook_channel`) talking
HTTP to a real inbox; :class:`HoldingInbox` keeps the first post waiting until a
second one arrives (or a second passes), so the two tasks really overlap: with
a get → send → set de-duplication both would post.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from marketplace_core import PluginInfo, hookimpl
from marketplace_core.notifications.channels import (
    Notification,
    NotificationChannel,
    RetryPolicy,
)
from marketplace_core.notifications.services import queue_now
from marketplace_core.notifications.tasks import (
    RETRY_LATER_MARGIN,
    SENT,
    Outcome,
    claim,
    release,
    send_notification,
    sent_key,
)
from tests.notification_fixtures import worker_thread  # noqa: F401 - fixture
from tests.webhook_channel import NAME, WebhookChannel, WebhookInbox, installed_webhook_channel

#: How long the inbox holds a lone post, waiting for a second one (seconds).
PATIENCE = 1.0


class HoldingInbox(WebhookInbox):
    """The webhook inbox, holding each post until ``hold`` posts arrived or
    :data:`PATIENCE` passed, then answering them as usual (oldest first)."""

    def __init__(self, hold: int = 2) -> None:
        super().__init__()
        self.hold = hold
        self._arrived = 0

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._arrived = 0

    def _answer(self, body: bytes) -> tuple[int, dict[str, str], str, str]:
        # Called with self._lock held; wait_for releases it while waiting.
        self._arrived += 1
        self._lock.notify_all()
        self._lock.wait_for(lambda: self._arrived >= self.hold, timeout=PATIENCE)
        return super()._answer(body)


def note(title: str) -> Notification:
    return Notification(event="test", title=title, body="Body",
                        data={"id": f"claims:{uuid.uuid4().hex}"})


def run(notification: Notification, channel: str = NAME) -> str:
    """Run the task for ``notification`` in this thread, as an eager worker would."""
    return str(send_notification.apply(kwargs={
        "channel_identifier": channel, "notification_data": notification.to_data(),
    }).get())


def race(notification: Notification, tasks: int = 2) -> list[str]:
    """Run ``tasks`` deliveries of the same task at once, one thread each; their outcomes."""
    barrier = threading.Barrier(tasks)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=5)
            outcomes.append(run(notification))
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert len(outcomes) == tasks
    return sorted(outcomes)


@pytest.fixture
def held(settings: Any) -> Iterator[HoldingInbox]:
    """A holding inbox, with the webhook channel enabled and sending to it."""
    cache.clear()
    with HoldingInbox() as inbox:
        settings.MARKETPLACE = {**settings.MARKETPLACE, NAME: {"URL": inbox.url}}
        with installed_webhook_channel():
            yield inbox


# -------------------------------------------------------------------------
# in process: two threads racing
# -------------------------------------------------------------------------


def test_two_deliveries_racing_send_once(held: HoldingInbox) -> None:
    notification = note("Raced")

    outcomes = race(notification)

    assert outcomes == [Outcome.IN_FLIGHT, Outcome.SENT]
    assert [a.status for a in held.attempts] == [200]
    assert held.texts == ["Raced\n\nBody"]
    assert cache.get(sent_key(NAME, notification.id)) is SENT
    assert run(notification) == Outcome.DUPLICATE
    assert len(held.attempts) == 1


def test_many_deliveries_racing_send_once(held: HoldingInbox) -> None:
    outcomes = race(note("Crowd"), tasks=6)

    assert outcomes.count(Outcome.SENT) == 1
    assert set(outcomes) <= {Outcome.SENT, Outcome.IN_FLIGHT, Outcome.DUPLICATE}
    assert held.texts == ["Crowd\n\nBody"]


def test_a_failed_send_releases_the_claim_and_a_retry_delivers_once(
    held: HoldingInbox,
) -> None:
    notification = note("Flaky")
    held.fail_next(503)

    # The claimant's send fails (eagerly: not retried); the other delivery sent nothing.
    assert race(notification) == [Outcome.IN_FLIGHT, Outcome.NOT_RETRIED]
    assert cache.get(sent_key(NAME, notification.id)) is None  # released
    # The retry sends; later deliveries are duplicates.
    assert run(notification) == Outcome.SENT
    assert run(notification) == Outcome.DUPLICATE
    assert [a.status for a in held.attempts] == [503, 200]
    assert held.texts == ["Flaky\n\nBody"]


def test_a_permanent_failure_releases_the_claim_too(held: HoldingInbox) -> None:
    notification = note("Refused")
    held.fail_next(403)

    assert run(notification) == Outcome.REJECTED
    assert cache.get(sent_key(NAME, notification.id)) is None
    assert run(notification) == Outcome.SENT
    assert held.texts == ["Refused\n\nBody"]


def test_a_claim_left_by_a_dead_task_expires(held: HoldingInbox) -> None:
    """A worker killed while sending never releases its claim: it lasts ``claim_ttl``."""
    notification = note("Orphaned")
    key = sent_key(NAME, notification.id)
    assert claim(key, 1) is not None  # the dead task's claim, for one second

    assert run(notification) == Outcome.IN_FLIGHT
    assert held.attempts == []
    time.sleep(1.2)
    assert run(notification) == Outcome.SENT
    assert held.texts == ["Orphaned\n\nBody"]


def test_only_the_claimant_releases_its_claim() -> None:
    key = f"claims-test:{uuid.uuid4().hex}"
    token = claim(key, 60)
    assert token is not None
    assert claim(key, 60) is None  # taken

    release(key, "claim:someone-else")
    assert claim(key, 60) is None  # still ours
    release(key, token)
    assert claim(key, 60) is not None
    cache.delete(key)


def test_a_sent_key_is_never_claimed_or_released() -> None:
    key = f"claims-test:{uuid.uuid4().hex}"
    cache.set(key, SENT, 60)
    assert claim(key, 60) is None
    release(key, "claim:anything")
    assert cache.get(key) is SENT
    cache.delete(key)


# -------------------------------------------------------------------------
# on a worker: a task that finds a claim checks again once it has expired
# -------------------------------------------------------------------------

QUICK = "test_webhook_quick"
#: The quick channel's claim lifetime (seconds): well above a send, which the
#: holding inbox can keep for PATIENCE, so a loaded machine cannot outlast it.
CLAIM_TTL = 3.0


class QuickClaimChannel(WebhookChannel):
    """The test webhook channel with a short claim (:data:`CLAIM_TTL`)."""

    identifier = QUICK
    verbose_name = "Quick-claim test webhook"

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=3, backoff=0.2, backoff_max=1.0, claim_ttl=CLAIM_TTL)


@hookimpl
def register_notification_channels() -> list[type[NotificationChannel]]:
    return [QuickClaimChannel]


QUICK_PLUGIN = PluginInfo(name=QUICK, verbose_name="Quick-claim test webhook", version="0.0.0",
                          compatibility="marketplace-core>=0", app="tests", hooks=__name__)


@pytest.fixture
def quick(worker_thread: None, settings: Any) -> Iterator[HoldingInbox]:  # noqa: F811
    """A holding inbox behind the quick-claim channel (and no other channel)."""
    from marketplace_core.plugins import manager

    cache.clear()
    with HoldingInbox() as inbox:
        settings.MARKETPLACE = {**settings.MARKETPLACE, QUICK: {"URL": inbox.url}}
        previous = manager.enabled_plugins()
        manager.install([*previous, QUICK_PLUGIN])
        try:
            yield inbox
        finally:
            manager.install(previous)


def settled(inbox: WebhookInbox, key: str, seconds: float) -> None:
    """Wait until ``key`` is sent, then ``seconds`` more for any straggling task."""
    deadline = time.monotonic() + 20
    while cache.get(key) is not SENT:
        assert time.monotonic() < deadline, f"never sent: {inbox.attempts!r}"
        time.sleep(0.05)
    time.sleep(seconds)


def test_a_redelivery_on_a_worker_waits_for_the_claim_and_ends_as_a_duplicate(
    quick: HoldingInbox,
) -> None:
    notification = note("Redelivered")
    key = sent_key(QUICK, notification.id)

    assert queue_now(notification) == [QUICK]
    assert queue_now(notification) == [QUICK]  # the broker delivers it again

    # The loser checks again after CLAIM_TTL (+ margin): give it time to end.
    settled(quick, key, CLAIM_TTL + RETRY_LATER_MARGIN + 1.0)
    assert [a.status for a in quick.attempts] == [200]
    assert quick.texts == ["Redelivered\n\nBody"]


def test_a_redelivery_on_a_worker_sends_when_the_claimant_failed(quick: HoldingInbox) -> None:
    notification = note("Failed first")
    key = sent_key(QUICK, notification.id)
    quick.fail_next(503)

    queue_now(notification)
    queue_now(notification)

    settled(quick, key, CLAIM_TTL + RETRY_LATER_MARGIN + 1.0)
    assert [a.status for a in quick.attempts] == [503, 200]
    assert quick.texts == ["Failed first\n\nBody"]


def test_a_task_finding_a_dead_claim_on_a_worker_sends_once_it_expired(
    quick: HoldingInbox,
) -> None:
    notification = note("After the crash")
    key = sent_key(QUICK, notification.id)
    assert claim(key, CLAIM_TTL) is not None  # left by a worker killed while sending
    queued_at = time.monotonic()

    queue_now(notification)

    settled(quick, key, 0.5)
    [attempt] = quick.attempts
    assert attempt.status == 200
    assert attempt.received_at - queued_at >= CLAIM_TTL
    assert quick.texts == ["After the crash\n\nBody"]
