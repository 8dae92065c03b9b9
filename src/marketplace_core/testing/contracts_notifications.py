"""Contract tests that every notification channel plugin runs against itself.

A channel passes when it delivers a notification's words exactly as written
(escaped for its service's format), turns its service's answers into the
exceptions core's task understands (a rate limit into
:class:`~marketplace_core.notifications.channels.RetryLater` with the delay the
service asked for, a permanent refusal into
:class:`~marketplace_core.notifications.channels.PermanentFailure`, an outage
into an ordinary exception that is retried), and when
:func:`marketplace_core.notifications.services.notify` reaches it through
exactly one task per channel, after commit and never after a rollback.

Subclass :class:`NotificationChannelContract` in your plugin's tests and give
it a ``harness`` fixture returning a :class:`ChannelHarness` that drives a fake
of your service (a real server on a loopback port is best)::

    from marketplace_core.testing.contracts_notifications import (
        ChannelHarness, NotificationChannelContract,
    )

    class MyHarness(ChannelHarness):
        identifier = "mychat"
        ...

    class TestMyChatContract(NotificationChannelContract):
        @pytest.fixture
        def harness(self, settings, my_fake_service):
            settings.MARKETPLACE = {..., "mychat": {"URL": my_fake_service.url}}
            return MyHarness(my_fake_service)

The channel must be registered (its plugin enabled) and configured so that it
``accepts`` notifications. Celery must run tasks eagerly
(``CELERY_TASK_ALWAYS_EAGER = True``, as in test settings), and Django's cache
must be one the test process shares (the ids of sent notifications live
there). The class name does not start with ``Test``, so pytest collects only
your subclass. Run it on SQLite and on PostgreSQL (``--marketplace-db=postgres``).
"""

from __future__ import annotations

import abc
import contextlib
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from celery import current_app
from celery.signals import task_prerun
from django.db import transaction

from marketplace_core.notifications.channels import (
    Notification,
    NotificationChannel,
    PermanentFailure,
    RetryLater,
)

#: Words that mean something in HTML, Markdown (both flavours) or JSON, which
#: a reader must see exactly as written.
SPECIAL_TITLE = 'Fish & Chips <Deluxe> "quoted" \'single\' *bold* _it_'
SPECIAL_BODY = (
    'Use <b>no markup</b> & <a href="https://evil.example/">no links</a>; '
    "5 > 3 < 4; &amp; stays; `code` [text](https://x.example/) ~strike~ ||spoiler|| "
    "#hash {braces} back\\slash 100% $HOME"
)


class ChannelHarness(abc.ABC):
    """What the kit needs to know about a channel: how to read and steer its fake service.

    The fake must be reset between tests (a fixture does it), so that
    :meth:`delivered` starts empty and no failure is queued.
    """

    #: The channel's ``identifier``.
    identifier: ClassVar[str]

    def channel(self) -> NotificationChannel:
        """The registered channel instance, as core's task uses it."""
        from marketplace_core.plugins.registry import notification_channels

        channels = notification_channels()
        assert self.identifier in channels, (
            f"No enabled plugin registers a notification channel {self.identifier!r}; "
            f"registered: {sorted(channels)}"
        )
        return channels[self.identifier]

    @abc.abstractmethod
    def delivered(self) -> list[str]:
        """The text of each message the service accepted, oldest first, as its
        reader sees it (markup removed, entities decoded)."""

    @abc.abstractmethod
    def rate_limit_next(self, seconds: int) -> None:
        """Make the service answer the next message with a rate limit asking
        the sender to wait ``seconds``."""

    @abc.abstractmethod
    def refuse_next_permanently(self) -> None:
        """Make the service refuse the next message for good (e.g. the bot was
        removed from the chat, the token was revoked)."""

    @abc.abstractmethod
    def fail_next_temporarily(self) -> None:
        """Make the service fail the next message the way an outage does (5xx)."""


def notification(title: str = "Contract notification", body: str = "It happened.",
                 **data: str) -> Notification:
    """A notification with a fresh id (unless ``data`` gives one)."""
    data.setdefault("id", f"contract:{uuid.uuid4().hex}")
    return Notification(event="contract_test", title=title, body=body, data=data)


@contextlib.contextmanager
def recorded_tasks() -> Iterator[list[tuple[str, str]]]:
    """Collect ``(channel identifier, notification id)`` of each
    ``send_notification`` task run inside the block (eager Celery runs each as
    it is queued)."""
    from marketplace_core.notifications.tasks import TASK_NAME

    seen: list[tuple[str, str]] = []

    def record(sender: Any = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
        if getattr(sender, "name", None) == TASK_NAME and kwargs is not None:
            note = Notification.from_data(kwargs["notification_data"])
            seen.append((kwargs["channel_identifier"], note.id))

    task_prerun.connect(record, weak=False)
    try:
        yield seen
    finally:
        task_prerun.disconnect(record)


def accepting_channels(note: Notification) -> list[tuple[str, str]]:
    """``(identifier, note.id)`` for each registered channel that accepts ``note``, sorted."""
    from marketplace_core.plugins.registry import notification_channels

    return sorted((identifier, note.id) for identifier, channel in notification_channels().items()
                  if channel.accepts(note))


class _Rollback(Exception):
    pass


# -------------------------------------------------------------------------
# the contract
# -------------------------------------------------------------------------


class NotificationChannelContract:
    """The behaviour every notification channel must show. Subclass it; provide ``harness``."""

    @pytest.fixture
    def harness(self) -> ChannelHarness:
        pytest.fail(f"{type(self).__name__} must define a `harness` fixture "
                    "returning a ChannelHarness")

    @pytest.fixture
    def eager_celery(self) -> None:
        assert current_app.conf.task_always_eager, (
            "The notification contract needs CELERY_TASK_ALWAYS_EAGER = True in the test "
            "settings (it watches the tasks notify() queues as they run)."
        )

    # --- the channel on its own ---------------------------------------------

    def test_registered_under_its_identifier(self, harness: ChannelHarness) -> None:
        channel = harness.channel()
        assert isinstance(channel, NotificationChannel)
        assert channel.identifier == harness.identifier
        assert str(channel.verbose_name).strip()
        assert channel.accepts(notification()), (
            "the harness must configure the channel so that it accepts notifications")

    def test_send_delivers_the_text(self, harness: ChannelHarness) -> None:
        note = notification("New purchase: Field Guide", "Ada bought it for $19.99.")

        harness.channel().send(note)

        [text] = harness.delivered()
        assert note.title in text
        assert note.body in text
        assert text.index(note.title) < text.index(note.body)

    def test_special_characters_arrive_as_written(self, harness: ChannelHarness) -> None:
        """Escaped for the service's format: no markup, no links, nothing lost."""
        note = notification(SPECIAL_TITLE, SPECIAL_BODY)

        harness.channel().send(note)

        [text] = harness.delivered()
        assert SPECIAL_TITLE in text
        assert SPECIAL_BODY in text

    def test_a_rate_limit_becomes_retry_later_with_the_delay(
        self, harness: ChannelHarness
    ) -> None:
        harness.rate_limit_next(7)

        with pytest.raises(RetryLater) as caught:
            harness.channel().send(notification())

        assert caught.value.seconds == 7
        assert harness.delivered() == []

    def test_a_permanent_refusal_becomes_permanent_failure(
        self, harness: ChannelHarness
    ) -> None:
        harness.refuse_next_permanently()

        with pytest.raises(PermanentFailure) as caught:
            harness.channel().send(notification())

        assert caught.value.reason.strip(), "say why: the reason is logged for the site owner"
        assert harness.delivered() == []

    def test_an_outage_is_retried_not_dropped(self, harness: ChannelHarness) -> None:
        harness.fail_next_temporarily()

        with pytest.raises(Exception) as caught:  # any exception but PermanentFailure
            harness.channel().send(notification())

        assert not isinstance(caught.value, PermanentFailure), (
            "an outage must not drop the notification: raise anything but PermanentFailure")
        assert harness.delivered() == []

    def test_a_redelivered_task_sends_once(self, harness: ChannelHarness,
                                           eager_celery: None) -> None:
        from marketplace_core.notifications.tasks import Outcome, send_notification

        note = notification("Said once")
        arguments = {"channel_identifier": harness.identifier,
                     "notification_data": note.to_data()}

        outcomes = [send_notification.apply(kwargs=arguments).get() for _ in range(3)]

        assert outcomes == [Outcome.SENT, Outcome.DUPLICATE, Outcome.DUPLICATE]
        assert len(harness.delivered()) == 1

    # --- through core's notify() ------------------------------------------

    @pytest.mark.by_database
    @pytest.mark.django_db(transaction=True)
    def test_notify_queues_one_task_per_channel_after_commit(
        self, harness: ChannelHarness, eager_celery: None
    ) -> None:
        from marketplace_core.notifications.services import notify

        note = notification("After commit")
        expected = accepting_channels(note)
        assert (harness.identifier, note.id) in expected

        with recorded_tasks() as queued:
            with transaction.atomic():
                notify(note)
                assert queued == [], "queued before the transaction committed"
                assert harness.delivered() == []
            assert sorted(queued) == expected

        [text] = harness.delivered()
        assert note.title in text

    @pytest.mark.by_database
    @pytest.mark.django_db(transaction=True)
    def test_notify_queues_nothing_on_rollback(
        self, harness: ChannelHarness, eager_celery: None
    ) -> None:
        from marketplace_core.notifications.services import notify

        with recorded_tasks() as queued:
            with contextlib.suppress(_Rollback), transaction.atomic():
                notify(notification("Rolled back"))
                raise _Rollback
            with transaction.atomic():
                kept = notification("Kept")
                with contextlib.suppress(_Rollback), transaction.atomic():  # a savepoint
                    notify(notification("Rolled back to the savepoint"))
                    raise _Rollback
                notify(kept)

        assert sorted(queued) == accepting_channels(kept)
        [text] = harness.delivered()
        assert kept.title in text
