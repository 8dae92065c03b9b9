"""Core's notification dispatch: ``notify()`` after commit, one task per channel,
and what the task does with each kind of failure.

The channel is the tiny test webhook channel (:mod:`tests.webhook_channel`),
talking HTTP to a real inbox. Tasks run eagerly, as in the test settings;
``test_notification_retries.py`` runs them through a real worker.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from marketplace_core.notifications.channels import (
    Notification,
    PermanentFailure,
    RetryLater,
    RetryPolicy,
)
from marketplace_core.notifications.services import notify, queue_now
from marketplace_core.notifications.tasks import (
    Outcome,
    send_notification,
    sent_key,
)
from marketplace_core.ownership import services
from tests.notification_fixtures import inbox, inbox_server  # noqa: F401 - fixtures
from tests.webhook_channel import (
    NAME,
    OTHER_NAME,
    WebhookInbox,
    installed_webhook_channel,
)

LOGGER = "tests.webhook_channel"


def note(title: str = "Hello", body: str = "Body", **data: str) -> Notification:
    return Notification(event="test", title=title, body=body, data=data)


def run(notification: Notification, channel: str = NAME) -> str:
    """Run the task for ``notification`` eagerly, as a worker would receive it."""
    return str(send_notification.apply(kwargs={
        "channel_identifier": channel, "notification_data": notification.to_data(),
    }).get())


@pytest.fixture
def other_inbox(settings: Any, inbox: WebhookInbox) -> Iterator[WebhookInbox]:  # noqa: F811
    """A second inbox, for the second test channel."""
    with WebhookInbox() as other:
        settings.MARKETPLACE = {**settings.MARKETPLACE, OTHER_NAME: {"URL": other.url}}
        with installed_webhook_channel():  # changing MARKETPLACE reloads the plugins
            yield other


# -------------------------------------------------------------------------
# the values
# -------------------------------------------------------------------------


def test_notification_survives_the_trip_through_the_broker() -> None:
    original = Notification(event="e", title="T <&>", body="B", url="https://x.example/",
                            data={"id": "purchase:1", "k": "v"})
    assert Notification.from_data(original.to_data()) == original
    assert original.id == "purchase:1"
    assert note().id == ""


@pytest.mark.parametrize("data", [
    {"event": "e"},
    {"event": "e", "title": "t", "colour": "red"},
    {"event": "e", "title": 3},
    {"event": "e", "title": "t", "data": {"id": 1}},
    ["event", "title"],
])
def test_unreadable_notification_data_is_refused(data: Any) -> None:
    with pytest.raises(TypeError):
        Notification.from_data(data)


def test_retry_later_keeps_the_delay_and_refuses_a_negative_one() -> None:
    assert RetryLater(2.5, "slow down").seconds == 2.5
    assert str(RetryLater(3)) == "asked to wait 3 s"
    with pytest.raises(ValueError, match="zero seconds or more"):
        RetryLater(-1)


def test_permanent_failure_keeps_reason_and_code() -> None:
    failure = PermanentFailure("chat not found", code="HTTP 400")
    assert (failure.reason, failure.code, str(failure)) == (
        "chat not found", "HTTP 400", "HTTP 400: chat not found")


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(max_retries=9, backoff=0.5, backoff_max=3.0)
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


# -------------------------------------------------------------------------
# notify(): after commit, one task per accepting channel
# -------------------------------------------------------------------------


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_notify_sends_nothing_until_the_transaction_commits(inbox: WebhookInbox) -> None:  # noqa: F811
    with transaction.atomic():
        notify(note("Committed", id="n:1"))
        assert inbox.attempts == []
    assert inbox.texts == ["Committed\n\nBody"]


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_notify_outside_a_transaction_queues_at_once(inbox: WebhookInbox) -> None:  # noqa: F811
    notify(note("Autocommit"))
    assert inbox.texts == ["Autocommit\n\nBody"]


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_notify_queues_nothing_when_the_transaction_rolls_back(
    inbox: WebhookInbox,  # noqa: F811
) -> None:
    with contextlib.suppress(RuntimeError), transaction.atomic():
        notify(note("Never"))
        raise RuntimeError("rolled back")
    assert inbox.attempts == []


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_each_accepting_channel_gets_one_task(inbox: WebhookInbox,  # noqa: F811
                                              other_inbox: WebhookInbox) -> None:
    with transaction.atomic():
        notify(note("Everyone", id="n:2"))
    assert inbox.texts == ["Everyone\n\nBody"]
    assert other_inbox.texts == ["Everyone\n\nBody"]


def test_channels_that_do_not_accept_get_no_task(inbox: WebhookInbox) -> None:  # noqa: F811
    # The other channel has no URL configured, so it accepts nothing.
    assert queue_now(note("Only one")) == [NAME]
    assert inbox.texts == ["Only one\n\nBody"]


@pytest.mark.by_database
@pytest.mark.django_db
def test_a_core_event_hook_can_notify(inbox: WebhookInbox, make_user: Any,  # noqa: F811
                                      make_product: Any,
                                      django_capture_on_commit_callbacks: Any) -> None:
    """notify() from inside an after-commit callback (how event hooks call it) still sends."""
    buyer, product = make_user(), make_product(title="Field Guide")
    with django_capture_on_commit_callbacks(execute=True):
        order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
        transaction.on_commit(lambda: notify(note(f"Order {order.reference}")))
    assert inbox.texts == [f"Order {order.reference}\n\nBody"]


# -------------------------------------------------------------------------
# the task, in process
# -------------------------------------------------------------------------


def test_a_notification_with_an_id_is_sent_once_per_channel(
    inbox: WebhookInbox, other_inbox: WebhookInbox,  # noqa: F811
) -> None:
    assert run(note("Once", id="purchase:1")) == Outcome.SENT
    assert run(note("Once", id="purchase:1")) == Outcome.DUPLICATE
    assert run(note("Once", id="purchase:1"), OTHER_NAME) == Outcome.SENT
    assert run(note("Other", id="purchase:2")) == Outcome.SENT
    assert inbox.texts == ["Once\n\nBody", "Other\n\nBody"]
    assert other_inbox.texts == ["Once\n\nBody"]
    assert cache.get(sent_key(NAME, "purchase:1")) is True


def test_a_notification_without_an_id_is_sent_every_time(inbox: WebhookInbox) -> None:  # noqa: F811
    assert [run(note("Again")) for _ in range(2)] == [Outcome.SENT, Outcome.SENT]
    assert inbox.texts == ["Again\n\nBody"] * 2


def test_a_failed_send_is_not_remembered_as_sent(inbox: WebhookInbox) -> None:  # noqa: F811
    inbox.fail_next(503)
    assert run(note("Later", id="n:3")) == Outcome.NOT_RETRIED
    assert run(note("Later", id="n:3")) == Outcome.SENT
    assert inbox.texts == ["Later\n\nBody"]


@pytest.mark.parametrize("status", [400, 403, 410])
def test_a_permanent_failure_is_logged_with_its_reason_and_not_retried(
    status: int, inbox: WebhookInbox, caplog: Any,  # noqa: F811
) -> None:
    inbox.fail_next(status)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        assert run(note("Refused one")) == Outcome.REJECTED
    assert [a.status for a in inbox.attempts] == [status]
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        f"Test webhook refused the test notification 'Refused one' (HTTP {status}): "
        f"refused with {status}"
    )


@pytest.mark.parametrize(("status", "retry_after"), [(429, 30), (503, None)])
def test_without_a_broker_nothing_is_retried_in_the_request(
    status: int, retry_after: int | None, inbox: WebhookInbox, caplog: Any,  # noqa: F811
) -> None:
    inbox.fail_next(status, retry_after=retry_after)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert run(note()) == Outcome.NOT_RETRIED
    assert [a.status for a in inbox.attempts] == [status]
    assert "configure a Celery broker to retry" in caplog.text


def test_an_unknown_channel_is_logged_and_dropped(caplog: Any) -> None:
    with caplog.at_level(logging.ERROR, logger="marketplace_core.notifications"):
        assert run(note(), "no_such_channel") == Outcome.UNKNOWN_CHANNEL
    assert "'no_such_channel'" in caplog.text


def test_unreadable_task_data_is_logged_and_dropped(inbox: WebhookInbox,  # noqa: F811
                                                    caplog: Any) -> None:
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        result = send_notification.apply(kwargs={
            "channel_identifier": NAME, "notification_data": {"event": "e", "colour": "red"},
        }).get()
    assert result == Outcome.REJECTED
    assert inbox.attempts == []
    assert "cannot be read" in caplog.text
