"""Notification channels: where staff and sellers hear about events (Telegram, ...).

A channel turns a :class:`Notification` into a message on some service. Core
sends through channels only from the Celery task
:func:`marketplace_core.notifications.tasks.send_notification`, queued by
:func:`marketplace_core.notifications.services.notify` after the transaction
commits. With a Celery broker the task runs in a worker, never inside a
request, so a slow or failing service cannot slow down a page; with
``CELERY_TASK_ALWAYS_EAGER`` (no broker: development) it runs in the request
that queued it, right after that request's transaction commits (check
``marketplace_core.W004`` warns about this with ``DEBUG`` off). A channel
tells the task what to do about a failure by what it raises:
:class:`RetryLater`, :class:`PermanentFailure`, or anything else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Notification:
    """A short, plain-text message about something that happened.

    All text is plain: a channel escapes it for its own format (HTML,
    Markdown, ...). ``data["id"]``, when given, identifies the notification:
    core sends a notification with an id at most once per channel (see
    :attr:`id`). Build ids from what the notification is about, so that the
    same event announced twice gets the same id, e.g. ``"purchase:42"`` or
    ``"support_request:7:completed"``.

    ``recipient_id`` addresses it to one person: the primary key (as text) of
    the user it is for, such as the seller of a sold product. ``""`` (the
    default) means the site's operators (a channel's site-wide chat). Core
    de-duplicates per ``(channel, id, recipient_id)``, so one event may be
    told to several people under one id. Channels that cannot reach a person
    answer ``False`` from :meth:`NotificationChannel.accepts` for it.
    """

    #: Machine-readable event name such as ``"support_request_created"``.
    event: str
    title: str
    body: str = ""
    #: An absolute ``http(s)`` link to where the reader can act, or ``""``.
    url: str = ""
    data: dict[str, str] = field(default_factory=dict)
    #: The user it is for (their primary key as text), or ``""``: the operators.
    recipient_id: str = ""

    @property
    def id(self) -> str:
        """The de-duplication id (``data["id"]``), or ``""`` when there is none."""
        return str(self.data.get("id") or "")

    def to_data(self) -> dict[str, Any]:
        """A JSON-serializable dict, the Celery task's argument (see :meth:`from_data`)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Notification:
        """The notification :meth:`to_data` gave ``data`` for.

        Data written before ``recipient_id`` existed (a task queued by an
        older release) reads as a notification for the operators. Raises
        ``TypeError`` when a field is missing, unknown or not text.
        """
        if not isinstance(data, dict):
            raise TypeError(f"Notification data must be a dict, not {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TypeError(f"Unknown notification fields: {', '.join(unknown)}.")
        texts = {name: value for name, value in data.items() if name != "data"}
        if any(not isinstance(value, str) for value in texts.values()):
            raise TypeError(
                "Notification fields event, title, body, url and recipient_id must be text.")
        extra = data.get("data", {})
        if not isinstance(extra, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in extra.items()
        ):
            raise TypeError("Notification data must map text to text.")
        return cls(**texts, data=dict(extra))


class RetryLater(Exception):
    """Raised by :meth:`NotificationChannel.send`: try again in ``seconds``.

    For a service that says how long to wait (Telegram's 429 ``retry_after``,
    an HTTP ``Retry-After``). Core's task sends again once ``seconds`` have
    passed (a quarter of a second later, never earlier); it counts as one of
    the channel's retries (:attr:`RetryPolicy.max_retries`).
    """

    def __init__(self, seconds: float, reason: str = "") -> None:
        if not seconds >= 0:
            raise ValueError(f"RetryLater needs a delay of zero seconds or more, not {seconds!r}.")
        self.seconds = float(seconds)
        self.reason = reason
        super().__init__(reason or f"asked to wait {self.seconds:g} s")


class PermanentFailure(Exception):
    """Raised by :meth:`NotificationChannel.send`: sending again would fail again.

    For refusals such as a revoked token, an unknown chat or an invalid
    message. Core's task logs ``reason`` as an error (with ``code``, e.g.
    ``"HTTP 403"``, when given) and drops the notification without retrying.
    ``reason`` must not contain secrets (tokens, passwords).
    """

    def __init__(self, reason: str, *, code: str = "") -> None:
        self.reason = reason
        self.code = code
        super().__init__(f"{code}: {reason}" if code else reason)


@dataclass(frozen=True)
class RetryPolicy:
    """How core's task retries a channel's failures other than :class:`PermanentFailure`.

    After an exception other than :class:`RetryLater`, retry ``n`` (from 0)
    waits ``min(backoff_max, backoff * 2**n)`` seconds. Retries of both kinds
    count against ``max_retries``; after that the notification is dropped with
    an error in the log.

    ``claim_ttl`` bounds how long one :meth:`NotificationChannel.send` may
    take: before sending a notification with an id, the task claims it for
    that many seconds, so a second task with the same notification (a
    redelivery) sends nothing meanwhile. A task killed while sending leaves its
    claim behind; it expires after ``claim_ttl``, and a task waiting for it (on
    a worker) sends then. Keep it above the channel's longest timeout.
    """

    max_retries: int = 5
    backoff: float = 2.0
    backoff_max: float = 300.0
    claim_ttl: float = 300.0

    def delay(self, retries: int) -> float:
        """Seconds before retry ``retries + 1`` after an outage."""
        return float(min(self.backoff_max, self.backoff * 2**retries))


class NotificationChannel:
    """Base class of notification channels. Register subclasses through
    ``register_notification_channels``; core creates one instance each, without
    arguments (no network calls in ``__init__``).

    The contract (``marketplace_core.testing.contracts_notifications`` checks it):

    - :meth:`send` delivers one notification synchronously and returns, or
      raises. With a broker it runs in a Celery worker, never in a request;
      with ``CELERY_TASK_ALWAYS_EAGER`` (no broker, development) it runs inside
      the request that caused it, once that request's transaction committed
      (core's check ``marketplace_core.W004`` warns about that with ``DEBUG`` off).
    - Everything in the notification is plain text: escape it for the
      service's format, so ``<b>`` or ``&`` arrive as written and readers'
      words cannot add markup or links.
    - When the service says how long to wait (a rate limit), raise
      :class:`RetryLater` with that delay.
    - When the service refuses for good (bad credentials, unknown recipient,
      invalid message), raise :class:`PermanentFailure` with its reason: the
      notification is logged and dropped.
    - Any other exception (timeouts, 5xx, refused connections) is retried with
      exponential backoff (:meth:`retry_policy`), then dropped with an error.
    - :meth:`send` may be asked more than once for a notification (workers
      die, brokers redeliver): for a notification with an id, core's task
      claims ``(channel, id)`` in Django's cache with an atomic ``add`` before
      calling :meth:`send`, so two tasks racing each other send it once; the
      claim is released when :meth:`send` raises (a retry may send) and kept
      for a week when it returns (repeats are skipped).
    - :meth:`accepts` says which notifications to queue at all: a channel that
      is not configured, or does not want an event, answers ``False``. A
      notification with a ``recipient_id`` is for that person only: a channel
      that cannot reach them (or that they switched off) answers ``False``.
    - Never log or put in exception messages the channel's secrets.
    """

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    #: The logger core's task reports this channel's retries and failures to
    #: (a plugin uses its own name, §1 of the design: one name everywhere).
    logger_name: ClassVar[str] = "marketplace_core.notifications"
    #: Whether the channel can reach one person (a notification's
    #: ``recipient_id``): such channels are listed as switches in the
    #: "Notifications" section of the profile page, and must ask
    #: :func:`marketplace_core.notifications.preferences.wants` in
    #: :meth:`accepts` before taking a notification for a person.
    reaches_people: ClassVar[bool] = False

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` now, or raise (see the class docstring)."""
        raise NotImplementedError

    def accepts(self, notification: Notification) -> bool:
        """Whether :func:`~marketplace_core.notifications.services.notify` should
        queue ``notification`` for this channel (by default: always)."""
        return True

    def retry_policy(self) -> RetryPolicy:
        """Retry limits for this channel (read at each failure, so settings may
        change them). By default 5 retries, 2 s doubling up to 300 s."""
        return RetryPolicy()
